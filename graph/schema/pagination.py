"""Relay-style connections shared by every open-ended list (DESIGN §6).

Cursors are opaque (base64 of a keyset position), ``first`` is capped, order is stable. A
resolver reads ``after`` with ``after_key(after, datetime, UUID)`` (the key's parts, typed; a
cursor that does not decode to exactly those parts is ``BAD_USER_INPUT`` on ``after``) and
answers with ``Connection.build(items, to_node, cursor_of, has_next=...)``, where ``cursor_of``
gives the same parts for an item.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Generic, TypeVar, overload
from uuid import UUID

import orjson
import strawberry

from services.errors import ValidationFailed

MAX_PAGE = 100
NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")
A = TypeVar("A")
B = TypeVar("B")


def encode_cursor(position: Sequence[object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(position))).decode().rstrip("=")


def _refused() -> ValidationFailed:
    return ValidationFailed("'after' is not a valid cursor.", field="after")


def decode_cursor(cursor: str | None) -> list[object] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise _refused() from None
    if not isinstance(value, list):
        raise _refused()
    return value


def _part(value: object, kind: type[Any]) -> object:
    """One keyset part as ``kind``; anything else means the cursor was not ours."""
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _refused()
    if not isinstance(value, str):
        raise _refused()
    try:
        if kind is str:
            return value
        if kind is UUID:
            return UUID(value)
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
    except ValueError:
        raise _refused() from None
    raise TypeError(f"a keyset part cannot be a {kind.__name__}")


@overload
def after_key(after: str | None, first: type[A], /) -> A | None: ...
@overload
def after_key(after: str | None, first: type[A], second: type[B], /) -> tuple[A, B] | None: ...
def after_key(after: str | None, *kinds: type[Any]) -> Any:
    """The keyset position ``after`` points at, as parts of the given types (str, int, UUID,
    date, datetime): the part itself for a one-part key, else a tuple; None for the first page."""
    position = decode_cursor(after)
    if position is None:
        return None
    if len(position) != len(kinds):
        raise _refused()
    parts = tuple(_part(value, kind) for value, kind in zip(position, kinds, strict=True))
    return parts[0] if len(parts) == 1 else parts


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
