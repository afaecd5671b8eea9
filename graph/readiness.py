"""Is this process able to serve? Shared by ``/readyz`` and ``aescrm check``."""

from __future__ import annotations

import logging

from tortoise import connections

from db.config import close_database, connection_name, open_database
from graph.settings import Settings
from realtime.bus import Bus

log = logging.getLogger("aescrm.readiness")


async def database_ok(database_url: str) -> bool:
    try:
        await connections.get(connection_name(database_url)).execute_query("SELECT 1")
    except Exception:  # any failure means not ready; the log says why
        log.warning("database not reachable", exc_info=True)
        return False
    return True


async def readiness(settings: Settings) -> dict[str, bool]:
    """Standalone check (CLI): opens and closes its own connections."""
    await open_database(settings.database_url)
    try:
        database = await database_ok(settings.database_url)
    finally:
        await close_database()
    bus = Bus(settings.broadcast_url)
    try:
        bus_ok = await bus.ping()
    finally:
        await bus.close_client()
    return {"config": True, "database": database, "bus": bus_ok}
