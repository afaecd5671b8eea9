"""Opaque global ids at the edge: ``globalId`` of any ``Node``, read by ``node``/``nodes``.

A global id is base64url (no padding) of ``"<GraphQL type name>:<uuid>"``, as Relay and Hasura
spell theirs. Clients must treat it as opaque; it exists so one field can fetch any object.
Only the canonical spelling decodes (decoding and encoding again must give the same string),
so one object has one global id and a mangled one is ``BAD_USER_INPUT``, naming the argument
as the client wrote it, like :mod:`graph.ids` does for raw ids.
"""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple
from uuid import UUID

import strawberry
from strawberry.utils.str_converters import to_camel_case

from graph.ids import MAX_IDS
from services.errors import ValidationFailed


class GlobalId(NamedTuple):
    type_name: str
    id: UUID


def encode(type_name: str, raw_id: object) -> str:
    text = f"{type_name}:{UUID(str(raw_id))}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def decode(value: object, field: str) -> GlobalId:
    """``value`` as (type name, uuid); ``field`` is the GraphQL name it was sent under."""
    text = str(value)
    refused = ValidationFailed(f"'{field}' is not a valid global id.", field=field)
    if not 0 < len(text) <= 200:
        raise refused
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        type_name, _, uuid = raw.partition(":")
        found = GlobalId(type_name, UUID(uuid))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise refused from None
    if not type_name.isidentifier() or encode(*found) != text:
        raise refused
    return found


def global_id_argument(**argument: strawberry.ID) -> GlobalId:
    """``global_id_argument(id=id)``: the argument decoded, errors naming ``id``."""
    ((python_name, value),) = argument.items()
    return decode(value, to_camel_case(python_name))


def global_id_list_argument(**argument: list[strawberry.ID]) -> list[GlobalId]:
    """At most :data:`graph.ids.MAX_IDS` global ids, each decoded (the first bad one refuses
    the whole list: bad input changes nothing and reads nothing)."""
    ((python_name, values),) = argument.items()
    field = to_camel_case(python_name)
    if len(values) > MAX_IDS:
        raise ValidationFailed(f"At most {MAX_IDS} ids.", field=field)
    return [decode(value, field) for value in values]
