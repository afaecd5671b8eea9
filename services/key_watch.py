"""Keeps a serving process's key ring in step with the key store, without a restart.

Rotation adds a key as "known, not yet current" first; every running server must have read it
before ``aescrm rotate-keys --promote`` lets anything be written with it. This loop is how a
server learns: it re-reads the key store every ``AESCRM_KEY_RELOAD_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging

from services import runtime

log = logging.getLogger("aescrm.keys")


async def watch(interval_seconds: float) -> None:
    """Runs until cancelled; a failed check is logged and tried again next time."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            runtime.reload_keyring()
        except Exception:  # never let a bad read end the loop: the old ring keeps working
            log.exception("encryption key check failed")
