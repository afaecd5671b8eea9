"""What arrives on the wire, before GraphQL: JSON decoding and WebSocket message shapes.

Both answer "malformed" instead of crashing: the view turns a decode error into a 400 (HTTP) or
a 4400 close (WebSocket), and a message of the wrong shape into a 4400 close.
"""

from __future__ import annotations

import json

import orjson

__all__ = ["decode_json_text", "ws_message_problem"]


def ws_message_problem(
    message: object, subscribe: str = "subscribe", complete: str = "complete"
) -> str | None:
    """Why a WebSocket message is malformed, or None (types only; the schema checks the
    contents of ``variables`` like any request's). The legacy protocol says start/stop."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "Invalid message"
    if message["type"] in (subscribe, complete) and not isinstance(message.get("id"), str):
        return "Invalid message id"
    if message["type"] != subscribe:
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "Invalid subscribe payload"
    for key, kind in (
        ("query", str),
        ("documentId", str),
        ("variables", dict),
        ("extensions", dict),
        ("operationName", str),
    ):
        if not isinstance(payload.get(key), kind | None):
            return f"Invalid subscribe payload: '{key}'"
    # Something to run: a query, or a trusted document's id (either spelling).
    named = payload.get("documentId") is not None or "persistedQuery" in (
        payload.get("extensions") or {}
    )
    if payload.get("query") is None and not named:
        return "Invalid subscribe payload"
    return None


def decode_json_text(data: str | bytes) -> object:
    """JSON as RFC 8259 allows it, refused (``JSONDecodeError``) rather than crashing.

    orjson first: it refuses invalid UTF-8 and nesting deeper than 1024 levels. Only what it
    refuses is read again by the standard library, which accepts escaped lone surrogates
    (valid JSON syntax; the schema answers them as BAD_USER_INPUT naming the field) and turns
    anything else (bad bytes, deep nesting: RecursionError) into a decode error.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as fast_error:
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            raise fast_error from None
