"""The one character rule for text that clients send: checked once, for every string input.

Control characters other than tab and newline are refused (NUL cannot be stored in PostgreSQL
text and others forge log lines), and so are lone UTF-16 surrogates (``"\\ud800"`` is valid
JSON, but not Unicode: it cannot be encoded as UTF-8, so no database, hash or log can take it).
"""

from __future__ import annotations

import re

from services.errors import ValidationFailed

__all__ = ["character_problem", "check_characters"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def character_problem(value: str, field: str) -> ValidationFailed | None:
    """The error for ``value`` given as ``field``, or None when every character is allowed."""
    if _CONTROL.search(value):
        return ValidationFailed(f"'{field}' contains control characters.", field=field)
    if _SURROGATE.search(value):
        return ValidationFailed(f"'{field}' contains text that is not valid Unicode.", field=field)
    return None


def check_characters(value: str, field: str) -> None:
    """Raises ``ValidationFailed`` naming ``field`` when ``value`` breaks the rule."""
    problem = character_problem(value, field)
    if problem is not None:
        raise problem
