"""Folding names for case- and accent-insensitive prefix search (``Zoë`` finds ``zoe``)."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def search_key(first_name: str, last_name: str, preferred_name: str | None) -> str:
    return fold(" ".join(filter(None, (last_name, first_name, preferred_name))))
