"""How ``node(id:)`` and ``nodes(ids:)`` answer: as the typed field of the object's kind would.

Design (issue 19, global object identification):

- **Ids.** ``Node.globalId`` is base64url of ``"<type>:<uuid>"`` (``graph.global_ids``). Types
  keep their UUID ``id``: changing it would break the released schema, so ``Node`` adds a new
  field instead (additive, ``aescrm schema check`` passes).
- **One authorisation.** Each kind below names the typed root field it answers as. Its
  ``@requires`` is enforced on ``node`` by the same permission object (same decision, same
  audited denial, same FORBIDDEN), and the object is read by that field's own resolver (the
  same id conversion and the same service call, so tenancy through ``services.tenant_gate``,
  visibility through ``services.visibility``). Another tenant's id, a deleted object's and a
  random well-formed one therefore answer exactly as the typed field does: null and NOT_FOUND.
  Appointments and practitioners have no typed single-object field; they answer as
  ``patientAppointments`` and ``practitioners`` list them (their scopes, their services'
  rules, through ``services.scheduling.board.appointments`` / ``catalogue.by_ids``).
- **Ids that cannot be one.** A malformed id, or one naming a type that is not a ``Node``,
  is BAD_USER_INPUT before anything is read.
- **nodes.** At most 100 ids; refused whole if any is malformed. Ids are grouped by kind; a
  kind whose service reads many at once (patients, practices, appointments, practitioners)
  costs a constant number of statements; the others are read one by one through their typed
  resolver. An id the caller may not see (NOT_FOUND or FORBIDDEN on the typed path) is a null
  entry, in the order asked; denials are still audited.
- Reads of patient data are audited by ``AuditReads`` on ``node``/``nodes``, from the returned
  types, as on the typed fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import cast
from uuid import UUID

import strawberry
from strawberry.types.field import StrawberryField

from db.models import Practitioner as PractitionerModel
from graph.context import Info
from graph.errors import PermissionDenied
from graph.global_ids import GlobalId
from graph.permissions.fields import enforce_as
from graph.schema.nodes import Node
from graph.schema.organizations import Practice
from graph.schema.patients import Patient
from graph.schema.scheduling import Appointment
from graph.schema.scheduling_catalogue import Practitioner
from services import practices
from services.errors import NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access
from services.scheduling import board, catalogue

Many = Callable[[Info, Sequence[UUID]], Awaitable[dict[UUID, Node]]]


@dataclass(frozen=True, slots=True)
class NodeKind:
    """A ``Node`` type: the typed root field it answers as, and how to read many at once."""

    typed_field: str  # GraphQL name of the Query field whose scopes (and resolver) it uses
    entity: str  # the NOT_FOUND label of the typed path
    by_id: bool  # the typed field takes ``id`` and returns this type: node calls its resolver
    many: Many | None = None  # a batched read under the same rule, or one by one


async def _patients(info: Info, ids: Sequence[UUID]) -> dict[UUID, Node]:
    found = await patient_access.readable_patients(info.context.principal, ids)
    return {i: Patient.from_model(p) for i, p in found.items()}


async def _practices(info: Info, ids: Sequence[UUID]) -> dict[UUID, Node]:
    found = await practices.get_practices(info.context.principal, practice_ids=ids)
    return {i: Practice.from_model(p) for i, p in found.items()}


async def _appointments(info: Info, ids: Sequence[UUID]) -> dict[UUID, Node]:
    found = await board.appointments(info.context.principal, appointment_ids=ids)
    return {i: Appointment.from_model(a) for i, a in found.items()}


async def _practitioners(info: Info, ids: Sequence[UUID]) -> dict[UUID, Node]:
    found = await catalogue.by_ids(info.context.principal, PractitionerModel, ids=ids)
    return {i: Practitioner.from_model(p) for i, p in found.items()}


KINDS: dict[str, NodeKind] = {
    "Practice": NodeKind("practice", "Practice", by_id=True, many=_practices),
    "Patient": NodeKind("patient", "Patient", by_id=True, many=_patients),
    "Appointment": NodeKind("patientAppointments", "Appointment", by_id=False, many=_appointments),
    "Practitioner": NodeKind("practitioners", "Practitioner", by_id=False, many=_practitioners),
    "Invoice": NodeKind("invoice", "Invoice", by_id=True),
    "ConsentForm": NodeKind("consentForm", "Consent form", by_id=True),
    "ClinicalNote": NodeKind("clinicalNote", "Clinical note", by_id=True),
    "PerioExam": NodeKind("perioExam", "Perio exam", by_id=True),
    "InjectableTreatment": NodeKind("injectableTreatment", "Treatment", by_id=True),
    "StockBatch": NodeKind("batch", "Batch", by_id=True),
    "FeeSchedule": NodeKind("feeSchedule", "Fee schedule", by_id=True),
}


def kind_of(global_id: GlobalId, field: str) -> NodeKind:
    """The kind a decoded id names; a type that is not a ``Node`` is malformed input."""
    kind = KINDS.get(global_id.type_name)
    if kind is None:
        raise ValidationFailed(f"'{field}' is not a valid global id.", field=field)
    return kind


def _typed(info: Info, kind: NodeKind) -> StrawberryField:
    field = info.schema.get_field_for_type(kind.typed_field, "Query")
    if field is None:  # a renamed typed field: tests/graph/test_nodes.py names it
        raise LookupError(f"Query.{kind.typed_field} is gone; update graph.node_reads.KINDS")
    return field


async def one(info: Info, global_id: GlobalId) -> Node:
    """The object, or NOT_FOUND / FORBIDDEN exactly as its typed field answers."""
    kind = kind_of(global_id, "id")
    typed = _typed(info, kind)
    enforce_as(typed, info)
    return await _read(info, kind, typed, global_id.id)


async def _read(info: Info, kind: NodeKind, typed: StrawberryField, raw_id: UUID) -> Node:
    if kind.by_id:
        resolver = typed.base_resolver
        assert resolver is not None
        typed_read = cast(Callable[..., Awaitable[Node]], resolver.wrapped_func)
        return await typed_read(None, info, id=strawberry.ID(str(raw_id)))
    assert kind.many is not None
    found = await kind.many(info, [raw_id])
    if raw_id not in found:
        raise NotFound(kind.entity)
    return found[raw_id]


async def many(info: Info, global_ids: Sequence[GlobalId]) -> list[Node | None]:
    """Each id's object, or None where :func:`one` would refuse it; in the order asked."""
    by_kind: dict[str, list[UUID]] = {}
    for global_id in global_ids:
        kind_of(global_id, "ids")
        by_kind.setdefault(global_id.type_name, []).append(global_id.id)
    answers: dict[GlobalId, Node] = {}
    for type_name, ids in by_kind.items():
        found = await _kind_answers(info, KINDS[type_name], ids)
        answers.update({GlobalId(type_name, i): value for i, value in found.items()})
    return [answers.get(global_id) for global_id in global_ids]


async def _kind_answers(info: Info, kind: NodeKind, ids: list[UUID]) -> dict[UUID, Node]:
    typed = _typed(info, kind)
    try:
        enforce_as(typed, info)
    except PermissionDenied:  # audited by the check: every entry of the kind is null
        return {}
    unique = list(dict.fromkeys(ids))
    if kind.many is not None:
        return await kind.many(info, unique)
    found: dict[UUID, Node] = {}
    for raw_id in unique:
        try:
            found[raw_id] = await _read(info, kind, typed, raw_id)
        except (NotFound, PolicyDenied):
            continue
    return found
