"""Writes a request's collected reads and denials as one audit batch when the operation ends."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from services import audit


class FlushReadTrail(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        trail = getattr(context, "audit", None)
        if trail is None:
            return
        operation = self.execution_context.operation_type.value
        name = self.execution_context.operation_name or "anonymous"
        await audit.write(trail.drain(context.principal, f"{operation} {name}"))
