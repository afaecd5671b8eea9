"""Parsing client-supplied ids: malformed ids are bad input, never a server error."""

from __future__ import annotations

from uuid import UUID

from services.errors import ValidationFailed


def parse_id(value: str, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationFailed(f"'{field}' is not a valid id.", field=field) from None
