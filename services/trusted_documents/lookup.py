"""Which text a request runs: its own ad-hoc ``query``, or the registered document it names.

Rules, for every transport (HTTP POST/GET, WebSocket subscribe):
- a request naming a document id runs the document registered under that id *for the caller*
  (its partner client, or the first-party set for staff, patients and anonymous callers);
  an id registered for someone else answers exactly as an unknown one,
  ``PERSISTED_DOCUMENT_NOT_FOUND``, and nothing runs;
- a request naming an id and also sending a ``query`` must send that document's exact text;
- a caller held to trusted documents (a partner app set so; everyone else when
  ``AESCRM_TRUSTED_DOCUMENTS_FIRST_PARTY`` is on) sending an ad-hoc ``query`` gets
  ``TRUSTED_DOCUMENT_REQUIRED`` and nothing runs.

Documents are cached per process (an LRU keyed by owner, the owner's documents version and id).
A partner's version comes from its client row, which every request re-reads, and is bumped by a
removal, so a removed document stops at once on every server. The first-party set has no row
to re-read: its cached entries live :data:`FIRST_PARTY_TTL_SECONDS` (a removal by the CLI
reaches running servers within that). Unknown ids are never cached (a registration elsewhere
must be seen on the next request). A request naming no id costs two attribute reads.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace

from db.models import FIRST_PARTY_OWNER
from db.queries import partner_clients
from db.queries import trusted_documents as rows
from services.errors import (
    PersistedDocumentNotFound,
    TrustedDocumentRequired,
    Unauthenticated,
    ValidationFailed,
)
from services.principal import Principal
from services.trusted_documents.ids import requested_id, well_formed

CACHE_SIZE = 2048
FIRST_PARTY_TTL_SECONDS = 60.0

_Key = tuple[str, int, str]  # (owner, documents version, document id)
_cache: OrderedDict[_Key, tuple[str, float]] = OrderedDict()


def owner_of(principal: Principal) -> str:
    return principal.client_id or FIRST_PARTY_OWNER


def held_to_trusted(principal: Principal, *, first_party: bool) -> bool:
    """Whether this caller may run registered documents only."""
    if principal.client_id is not None:
        return principal.trusted_documents_only
    return first_party


async def text_to_run(
    principal: Principal,
    *,
    query: str | None,
    document_id: object,
    extensions: Mapping[str, object] | None,
    first_party: bool,
) -> str | None:
    """The document text to execute (``query`` itself for an ordinary request); raises the
    refusals above before anything runs."""
    wanted = requested_id(document_id, extensions)
    if wanted is None:
        if query is not None and held_to_trusted(principal, first_party=first_party):
            raise TrustedDocumentRequired()
        return query
    text = await document(principal, wanted)
    if query is not None and query != text:
        raise ValidationFailed(
            "Send either a documentId or a query (or a query with its own id), not both.",
            field="query",
        )
    return text


async def document(principal: Principal, document_id: str) -> str:
    """The caller's registered document with this id, or ``PERSISTED_DOCUMENT_NOT_FOUND``."""
    if not well_formed(document_id):
        raise PersistedDocumentNotFound()
    owner = owner_of(principal)
    key = (owner, principal.documents_version, document_id)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[1] > now:
        _cache.move_to_end(key)
        return cached[0]
    text = await rows.body_of(owner, document_id)
    if text is None:
        _cache.pop(key, None)
        raise PersistedDocumentNotFound()
    ttl = FIRST_PARTY_TTL_SECONDS if owner == FIRST_PARTY_OWNER else float("inf")
    _cache[key] = (text, now + ttl)
    _cache.move_to_end(key)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return text


async def refreshed(principal: Principal) -> Principal:
    """A socket's partner principal with its client's flag and documents version as they are
    now (a socket keeps the principal of its ``connection_init``; an HTTP request re-reads the
    row anyway). One read, per subscribe of a partner app only."""
    if principal.client_id is None:
        return principal
    row = await partner_clients.active(principal.client_id)
    if row is None:
        raise Unauthenticated("Invalid or expired token.")
    return replace(
        principal,
        trusted_documents_only=row.trusted_documents_only,
        documents_version=row.documents_version,
    )


def forget(owner: str) -> None:
    """Drops this process's cached documents of ``owner`` (after a removal here)."""
    for key in [k for k in _cache if k[0] == owner]:
        del _cache[key]


__all__ = [
    "CACHE_SIZE",
    "FIRST_PARTY_TTL_SECONDS",
    "document",
    "forget",
    "held_to_trusted",
    "owner_of",
    "refreshed",
    "text_to_run",
]
