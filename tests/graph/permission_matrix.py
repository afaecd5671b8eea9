"""The role × field matrix, generated from the schema's ``@requires`` declarations and the
policy table, so a new protected field is covered without anyone remembering to add it."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLNonNull, GraphQLObjectType, Undefined, get_named_type

from graph.permissions.fields import declared_scopes
from graph.schema import build_schema
from services.policy import Scope
from tests.graph.clinical_note_support import MATRIX_NOTE_ID, seed_matrix_note

MATRIX_PLAN_ID = "00000000-0000-4000-8000-00000000000f"

# How to reach one instance of each type that has protected fields. A type missing here makes
# the matrix test fail, naming it: add its path (and a fixture object) when adding the type.
TYPE_PATHS: dict[str, str] = {
    "Query": "{ %s }",
    "Practice": "query($practiceId: ID!) { practice(id: $practiceId) { %s } }",
    "Patient": "query($patientId: ID!) { patient(id: $patientId) { %s } }",
    "ScheduleAppointment": "query($practiceId: ID!) { schedule(practiceId: $practiceId, "
    'from: "2030-01-15T00:00:00Z", to: "2030-01-16T00:00:00Z") { appointments { %s } } }',
    "Appointment": "query($patientId: ID!) { patientAppointments(patientId: $patientId) "
    "{ edges { node { %s } } } }",
    "ClinicalNote": "query($patientId: ID!) { clinicalNotes(patientId: $patientId) "
    "{ edges { node { %s } } } }",
    "StrandedAppointment": "query($practiceId: ID!) { strandedAppointments(practiceId: "
    '$practiceId, from: "2030-01-15T00:00:00Z", to: "2030-01-16T00:00:00Z") { %s } }',
    "PatientDocument": "query($patientId: ID!) { patientDocuments(patientId: $patientId) "
    "{ edges { node { %s } } } }",
}
# Types only delivered over subscriptions or mutation payloads, with the test that proves their
# protected fields are withheld there (a type may only be listed with such a test).
EXEMPT: dict[str, str] = {
    "PracticeNotice": "tests/realtime/test_board_server.py (receptionist gets clinicalDetail "
    "null + FORBIDDEN, dentist gets the text)",
}
# Values for required arguments, by argument name.
PERIO_EXAM_ID = "00000000-0000-4000-8000-00000000000a"  # seeded by ``seed_objects``
MATRIX_BATCH_ID = "00000000-0000-4000-8000-0000000000b1"  # seeded by ``seed_injectables``
MATRIX_TREATMENT_ID = "00000000-0000-4000-8000-0000000000b2"
MATRIX_LOT = "MATRIX-LOT-1"
ARGUMENTS: dict[str, str] = {
    "patient.id": "$patientId",  # field-specific values win over the plain argument name
    "clinicalNote.id": f'"{MATRIX_NOTE_ID}"',
    "treatmentPlan.id": f'"{MATRIX_PLAN_ID}"',
    "breachImpact.userId": '"00000000-0000-4000-8000-000000000009"',
    "id": "$practiceId",
    "practiceId": "$practiceId",
    "patientId": "$patientId",
    "from": '"2030-01-15T00:00:00Z"',
    "to": '"2030-01-16T00:00:00Z"',
    "appointmentTypeId": '"00000000-0000-4000-8000-000000000007"',
    "perioExam.id": f'"{PERIO_EXAM_ID}"',
    "injectableTreatment.id": f'"{MATRIX_TREATMENT_ID}"',
    "batchId": f'"{MATRIX_BATCH_ID}"',
    "organizationId": "$organizationId",
    "lotNumber": f'"{MATRIX_LOT}"',
    "channel": "EMAIL",
    "purpose": "SERVICE",
}


async def seed_objects(practice: object, patient: object) -> None:
    """One object of each type the paths above reach (an appointment on 2030-01-15, stranded
    by an absence; a signed clinical note; a document; a perio exam)."""
    from datetime import UTC, datetime

    from db.models import Document, PerioExam, TreatmentPlan
    from services.patients import sealing
    from tests.scheduling_fixtures import seed_matrix_appointment

    await seed_matrix_appointment(practice, patient)
    document = Document(
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        kind="XRAY",
        content_type="image/png",
        size_bytes=1,
        sha256="0" * 64,
        blob_key="00/" + "0" * 62,
        wrapped_key="unused: the matrix reads the row, never the file",
    )
    document.title = sealing.seal(document, "title", "Matrix X-ray") or ""
    document.filename = sealing.seal(document, "filename", "matrix.png")  # type: ignore[assignment]
    await document.save()
    await seed_matrix_note(practice, patient)
    await TreatmentPlan.create(
        id=MATRIX_PLAN_ID,
        plan_id=MATRIX_PLAN_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        status="PROPOSED",
    )
    await PerioExam.create(
        id=PERIO_EXAM_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        status="FINAL",
        examined_at=datetime(2030, 1, 15, 9, tzinfo=UTC),
        readings={"16": {"pd": [3] * 6, "gm": [0] * 6, "b": 0, "s": 0, "p": 0, "m": 0, "f": {}}},
    )
    await seed_injectables(practice, patient)


async def seed_injectables(practice: object, patient: object) -> None:
    """A toxin batch of lot ``MATRIX_LOT`` and one treatment of the patient that used it."""
    from datetime import UTC, date, datetime

    from db.models import Batch, InjectableTreatment, InjectionPoint, Practitioner, Product, User

    org_id = practice.organization_id  # type: ignore[attr-defined]
    product = await Product.create(
        organization_id=org_id, name="Matrix toxin", brand="Matrix", kind="TOXIN", unit="UNITS"
    )
    await Batch.create(
        id=MATRIX_BATCH_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        product_id=product.id,
        lot_number=MATRIX_LOT,
        expires_on=date(2031, 1, 1),
        quantity_received_milli=100_000,
        on_hand_milli=90_000,
        received_on=date(2029, 1, 1),
    )
    user = await User.create(
        email=f"matrix-{org_id}@example.test", full_name="Matrix Doctor", password_hash="x"
    )
    doctor = await Practitioner.create(
        practice_id=practice.id,  # type: ignore[attr-defined]
        user_id=user.id,
        display_name="Dr Matrix",
        role="DOCTOR",
    )
    when = datetime(2030, 1, 15, 10, tzinfo=UTC)
    await InjectableTreatment.create(
        id=MATRIX_TREATMENT_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        practitioner_id=doctor.id,
        treated_at=when,
    )
    await InjectionPoint.create(
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        treatment_id=MATRIX_TREATMENT_ID,
        product_id=product.id,
        batch_id=MATRIX_BATCH_ID,
        amount_milli=10_000,
        depth="INTRAMUSCULAR",
        technique="BOLUS",
        map_key="FACE_FRONT",
        map_version=1,
        zone="GLABELLA",
        x=0.5,
        y=0.3,
        treated_at=when,
    )


@dataclass(frozen=True)
class ProtectedField:
    type_name: str
    field_name: str
    scopes: tuple[Scope, ...]
    document: str | None  # None: needs a path or argument the matrix does not know yet

    @property
    def label(self) -> str:
        return f"{self.type_name}.{self.field_name}"


def _selection(field_name: str, field: object) -> str | None:
    arguments = []
    for name, argument in getattr(field, "args", {}).items():
        if f"{field_name}.{name}" in ARGUMENTS and not isinstance(argument.type, GraphQLNonNull):
            arguments.append(f"{name}: {ARGUMENTS[f'{field_name}.{name}']}")  # optional, needed
        elif isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined:
            value = ARGUMENTS.get(f"{field_name}.{name}", ARGUMENTS.get(name))
            if value is None:
                return None
            arguments.append(f"{name}: {value}")
    call = f"{field_name}({', '.join(arguments)})" if arguments else field_name
    named = get_named_type(getattr(field, "type", None))
    return f"{call} {{ __typename }}" if isinstance(named, GraphQLObjectType) else call


def protected_fields() -> list[ProtectedField]:
    schema = build_schema()._schema
    found: list[ProtectedField] = []
    for type_name, graphql_type in sorted(schema.type_map.items()):
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        if type_name in ("Mutation", "Subscription") or type_name in EXEMPT:
            continue  # their inputs are domain-specific: each domain's tests cover them
        for field_name, field in graphql_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            scopes = declared_scopes(definition) if definition is not None else ()
            if not scopes:
                continue
            path = TYPE_PATHS.get(type_name)
            selection = _selection(field_name, field)
            document = path % selection if path and selection else None
            if document and "$practiceId" in document and "query(" not in document:
                document = document.replace("{", "query($practiceId: ID!) {", 1)
            if document and "$patientId" in document and "query(" not in document:
                document = document.replace("{", "query($patientId: ID!) {", 1)
            if document and "$organizationId" in document and "query(" not in document:
                document = document.replace("{", "query($organizationId: ID!) {", 1)
            found.append(ProtectedField(type_name, field_name, scopes, document))
    return found
