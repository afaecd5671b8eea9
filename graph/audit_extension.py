"""Writes a request's collected reads and denials as one audit batch when the operation ends.

Values that failed their integrity check (``DataIntegrityError``) are audited as such, with the
record and field concerned, instead of as an OK read. This extension runs its exit before
``ErrorCodes`` (extensions exit in reverse order), so the original errors are still attached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from services import audit
from services.patients.errors import DataIntegrityError


def _entity_type(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_"))


def _record_integrity_failures(trail: audit.ReadTrail, errors: list[GraphQLError]) -> None:
    for error in errors:
        original = error.original_error
        if not isinstance(original, DataIntegrityError) or original.where is None:
            continue
        where = original.where
        names = [step for step in (error.path or []) if isinstance(step, str)]
        trail.integrity_failure(
            entity_type=_entity_type(where.table),
            entity_id=where.row_id,
            patient_id=where.patient_id,
            practice_id=where.practice_id,
            field=names[-1] if names else where.column,
        )


class FlushReadTrail(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        trail = getattr(context, "audit", None)
        if trail is None:
            return
        result = self.execution_context.result
        if result is not None and result.errors:
            _record_integrity_failures(trail, list(result.errors))
        operation = self.execution_context.operation_type.value
        name = self.execution_context.operation_name or "anonymous"
        await audit.write(trail.drain(context.principal, f"{operation} {name}"))
