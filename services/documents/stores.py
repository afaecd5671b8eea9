"""The process's document store, chosen once at start-up from the settings."""

from __future__ import annotations

from pathlib import Path

from services.documents.storage import DocumentStore, FileSystemStore

_store: DocumentStore | None = None


def configure(store: DocumentStore) -> None:
    global _store
    _store = store


def current() -> DocumentStore:
    """The configured store; the development default is ``var/documents`` beside the database."""
    global _store
    if _store is None:
        _store = FileSystemStore(Path("var/documents"))
    return _store


async def close() -> None:
    global _store
    if _store is not None:
        await _store.close()
    _store = None


__all__ = ["close", "configure", "current"]
