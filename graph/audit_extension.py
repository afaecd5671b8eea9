"""Patient reads are audited here, never in a resolver.

- :class:`AuditReads`, declared on a query field next to its ``requires(...)``, records each
  object the field returns in the request's read trail: every type that carries patient data
  says what it is with ``read_record()``, and the fields recorded are the ones the client
  selected on it (or a fixed list given to the extension). A denied or failed field records
  nothing.
- :class:`FlushReadTrail` writes a request's collected reads and denials as one audit batch
  when the operation ends. Values that failed their integrity check (``DataIntegrityError``)
  are audited as such, with the record and field concerned, instead of as an OK read. It runs
  its exit before ``ErrorCodes`` (extensions exit in reverse order), so the original errors
  are still attached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from graphql import GraphQLError
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from services import audit
from services.patients.errors import DataIntegrityError

T = TypeVar("T")


class ReadRecord(NamedTuple):
    """What one returned object discloses, and about whom."""

    entity_type: str
    entity_id: object
    patient_id: UUID | None
    practice_id: UUID | None
    # A list about many patients (a batch recall) is one read naming every patient shown.
    patient_ids: tuple[UUID, ...] = ()
    # What was asked, beside the fields selected (a report's period and filters: no values of
    # patient data, only "name=value" of the arguments).
    details: tuple[str, ...] = ()


@runtime_checkable
class Audited(Protocol):
    def read_record(self) -> ReadRecord: ...


class AuditedList(list[T]):
    """A list whose reading is itself one read, even when empty (a patient's restrictions:
    "none in force" is still something learnt about the patient)."""

    def __init__(self, items: Iterable[T], record: ReadRecord) -> None:
        super().__init__(items)
        self.record = record

    def read_record(self) -> ReadRecord:
        return self.record


def _field_names(selections: Iterable[Selection]) -> set[str]:
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            if not selection.name.startswith("__"):
                names.add(selection.name)
        else:  # fragment spreads and inline fragments
            names |= _field_names(selection.selections)
    return names


def _selected(selections: Iterable[Selection], path: tuple[str, ...]) -> list[Selection]:
    current = list(selections)
    for step in path:
        nested: list[Selection] = []
        for selection in current:
            if isinstance(selection, SelectedField):
                if selection.name == step:
                    nested.extend(selection.selections)
            else:
                nested.extend(_selected(selection.selections, (step,)))
        current = nested
    return current


def _returned(result: object) -> tuple[list[object], tuple[str, ...]]:
    """The objects a field returned, and where they sit below the field in the selection."""
    if isinstance(result, AuditedList):
        return [result], ()
    edges = getattr(result, "edges", None)
    if isinstance(edges, list):  # a Connection: its nodes
        return [edge.node for edge in edges], ("edges", "node")
    if isinstance(result, list):
        return list(result), ()
    return [result], ()


class AuditReads(FieldExtension):
    """Records the patient data a field returns in the request's read trail."""

    def __init__(self, fields: Sequence[str] | None = None) -> None:
        super().__init__()
        self.fields = list(fields) if fields is not None else None

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        result = await next_(source, info, **kwargs)
        if result is not None:
            self._record(info, result)
        return result

    def _record(self, info: Info, result: object) -> None:
        items, path = _returned(result)
        records = [item.read_record() for item in items if isinstance(item, Audited)]
        if not records:
            return
        fields = self.fields
        if fields is None:
            root = [s for f in info.selected_fields for s in f.selections]
            fields = sorted(_field_names(_selected(root, path)))
        trail = info.context.audit
        for record in records:
            trail.read(
                entity_type=record.entity_type,
                entity_id=record.entity_id,
                patient_id=record.patient_id,
                practice_id=record.practice_id,
                fields=[*fields, *record.details],
                patient_ids=record.patient_ids,
            )


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
