"""Migration steps that only PostgreSQL can take (triggers, exclusion constraints, extensions).

SQLite has no equivalent for these; the services enforce the same rules there. One helper so
each such migration is just its SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.migrations import operations as ops


def _is_postgres(schema_editor: Any) -> bool:
    module = type(schema_editor.client).__module__
    return "postgres" in module or "asyncpg" in module


def postgres_only(create: Sequence[str], drop: Sequence[str]) -> ops.RunPython:
    """A RunPython operation running ``create`` forwards and ``drop`` backwards, on PostgreSQL."""

    async def run(statements: Sequence[str], schema_editor: Any) -> None:
        if _is_postgres(schema_editor):
            for statement in statements:
                await schema_editor.client.execute_script(statement)

    async def forward(apps: Any, schema_editor: Any) -> None:
        await run(create, schema_editor)

    async def backward(apps: Any, schema_editor: Any) -> None:
        await run(drop, schema_editor)

    return ops.RunPython(forward, backward)
