"""Relay-style connections shared by every open-ended list (DESIGN §6).

Cursors are opaque (base64 of a keyset position), ``first`` is capped, order is stable. Build
one with ``Connection.build(items, to_node, cursor_of, first, has_next)``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import orjson
import strawberry

from services.errors import ValidationFailed

MAX_PAGE = 100
NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")


def encode_cursor(position: Sequence[object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(position))).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[object] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise ValidationFailed("'after' is not a valid cursor.", field="after") from None
    if not isinstance(value, list):
        raise ValidationFailed("'after' is not a valid cursor.", field="after")
    return value


def page_size(first: int | None, default: int = 25) -> int:
    size = default if first is None else first
    if size < 1 or size > MAX_PAGE:
        raise ValidationFailed(f"'first' must be between 1 and {MAX_PAGE}.", field="first")
    return size


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="One item of a page, with the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")

    @classmethod
    def build(
        cls,
        items: Sequence[ItemT],
        to_node: Callable[[ItemT], NodeT],
        cursor_of: Callable[[ItemT], Sequence[object]],
        *,
        has_next: bool,
    ) -> Connection[NodeT]:
        edges = [Edge(cursor=encode_cursor(cursor_of(i)), node=to_node(i)) for i in items]
        end = edges[-1].cursor if edges else None
        return cls(edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=end))
