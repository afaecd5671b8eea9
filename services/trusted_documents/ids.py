"""Naming documents: the id is the document's hash, so a client cannot name text it did not send
to registration, and the same text always has the same id on every server.

Two spellings of the same id are accepted from requests: GraphQL-over-HTTP's ``documentId``
(``sha256:<hex>``) and Apollo's automatic persisted queries,
``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

PREFIX = "sha256:"


def document_id_of(text: str) -> str:
    """The id of the exact text (no normalising: whitespace and comments count)."""
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def requested_id(document_id: object, extensions: Mapping[str, object] | None) -> str | None:
    """The id a request names, or None when it names none (an ordinary ``query``).

    A ``documentId`` that is not a string, or an APQ entry of another version, is still a named
    id (that matches nothing), so such a request never falls back to an ad-hoc query."""
    if document_id is not None:
        return document_id if isinstance(document_id, str) else ""
    persisted = extensions.get("persistedQuery") if extensions else None
    if persisted is None:
        return None
    if not isinstance(persisted, Mapping):
        return ""
    digest = persisted.get("sha256Hash")
    if persisted.get("version") != 1 or not isinstance(digest, str):
        return ""
    return PREFIX + digest


_WELL_FORMED = re.compile(r"sha256:[0-9a-f]{64}")


def well_formed(document_id: str) -> bool:
    """``sha256:`` and 64 lower-case hex digits: anything else is unknown without a lookup."""
    return _WELL_FORMED.fullmatch(document_id) is not None


__all__ = ["PREFIX", "document_id_of", "requested_id", "well_formed"]
