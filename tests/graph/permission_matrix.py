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
MATRIX_BATCH_ID = "00000000-0000-4000-8000-000000000010"
MATRIX_TREATMENT_ID = "00000000-0000-4000-8000-0000000000b2"  # used MATRIX_BATCH_ID
MATRIX_LOT = "MATRIX1"
MATRIX_FORM_ID = "00000000-0000-4000-8000-000000000011"
MATRIX_FEE_SCHEDULE_ID = "00000000-0000-4000-8000-000000000013"
MATRIX_INVOICE_ID = "00000000-0000-4000-8000-000000000012"
MATRIX_WEBHOOK_ENDPOINT_ID = "00000000-0000-4000-8000-000000000014"
MATRIX_CLIENT_ID = "pc_matrix_client"  # seed_objects runs once per (fresh) database

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
    "Practitioner": "query($practiceId: ID!) { practitioners(practiceId: $practiceId) "
    "{ edges { node { %s } } } }",
    "StockBatch": f'{{ batch(id: "{MATRIX_BATCH_ID}") {{ %s }} }}',
}
# Types only delivered over subscriptions or mutation payloads, with the test that proves their
# protected fields are withheld there (a type may only be listed with such a test).
EXEMPT: dict[str, str] = {
    "PracticeNotice": "tests/realtime/test_board_server.py (receptionist gets clinicalDetail "
    "null + FORBIDDEN, dentist gets the text)",
}
# Values for required arguments, by argument name.
PERIO_EXAM_ID = "00000000-0000-4000-8000-00000000000a"  # seeded by ``seed_objects``
ARGUMENTS: dict[str, str] = {
    "patient.id": "$patientId",  # field-specific values win over the plain argument name
    "clinicalNote.id": f'"{MATRIX_NOTE_ID}"',
    "treatmentPlan.id": f'"{MATRIX_PLAN_ID}"',
    "consentForm.id": f'"{MATRIX_FORM_ID}"',
    "feeSchedule.id": f'"{MATRIX_FEE_SCHEDULE_ID}"',
    "invoice.id": f'"{MATRIX_INVOICE_ID}"',
    "breachImpact.userId": '"00000000-0000-4000-8000-000000000009"',
    "id": "$practiceId",
    "practiceId": "$practiceId",
    "patientId": "$patientId",
    "from": '"2030-01-15T00:00:00Z"',
    "to": '"2030-01-16T00:00:00Z"',
    "appointmentTypeId": '"00000000-0000-4000-8000-000000000007"',
    "perioExam.id": f'"{PERIO_EXAM_ID}"',
    "batch.id": f'"{MATRIX_BATCH_ID}"',
    "injectableTreatment.id": f'"{MATRIX_TREATMENT_ID}"',
    "batchId": f'"{MATRIX_BATCH_ID}"',
    "organizationId": "$organizationId",
    "endpointId": f'"{MATRIX_WEBHOOK_ENDPOINT_ID}"',
    "trustedDocuments.clientId": f'"{MATRIX_CLIENT_ID}"',
    "lotNumber": f'"{MATRIX_LOT}"',
    "channel": "EMAIL",
    "purpose": "SERVICE",
    # Reports: a day of the matrix practice (their practiceId is optional, so named per field).
    "period": '{from: "2030-01-15", to: "2030-01-15", grouping: DAY}',
    "attendanceReport.practiceId": "$practiceId",
    "utilisationReport.practiceId": "$practiceId",
    "waitingTimesReport.practiceId": "$practiceId",
    "patientMixReport.practiceId": "$practiceId",
    "cancellationReasonsReport.practiceId": "$practiceId",
    "takingsReport.practiceId": "$practiceId",
    "invoicedVsTakenReport.practiceId": "$practiceId",
    "agedDebtReport.practiceId": "$practiceId",
    "depositsReport.practiceId": "$practiceId",
    "treatmentPlanAcceptanceReport.practiceId": "$practiceId",
    "membershipReport.practiceId": "$practiceId",
    "recallReport.practiceId": "$practiceId",
    "nhsActivityReport.practiceId": "$practiceId",
}


# Fields whose scopes a partner app may be granted but whose service keeps them for the
# practice's own staff (FORBIDDEN, audited): field -> why.
PARTNER_REFUSED: dict[str, str] = {
    "Query.daySheet": "the day's takings are every payer's: staff only "
    "(services.billing.report_access; tests/graph/test_partner_billing.py)",
    "Query.cashReconciliations": "the till holds every payer's cash: staff only "
    "(services.billing.report_access; tests/graph/test_partner_billing.py)",
    "Query.marketingPhotos": "the gallery is for the practice's own staff "
    "(services.aesthetics.photo_series)",
    "Query.calendarFeeds": "a calendar feed belongs to a person's account, never to an app "
    "(services.calendar.feeds; tests/graph/test_calendar_feeds.py)",
}


async def share_with_partner(patient: object, client_id: str) -> None:
    """The patient's DATA_SHARING grant to the partner app, next in their consent ledger."""
    from datetime import UTC, datetime, timedelta

    from db.models import ConsentRecord

    patient_id = patient.id  # type: ignore[attr-defined]
    await ConsentRecord.create(
        practice_id=patient.practice_id,  # type: ignore[attr-defined]
        patient_id=patient_id,
        seq=await ConsentRecord.filter(patient_id=patient_id).count() + 1,
        purpose="DATA_SHARING",
        subject=client_id,
        granted=True,
        policy_version="share-v1",
        method="RECEPTION",
        effective_at=datetime.now(UTC) - timedelta(days=1),
    )


async def seed_objects(practice: object, patient: object) -> None:
    """One object of each type the paths above reach (an appointment on 2030-01-15, stranded
    by an absence; a signed clinical note; a document; a perio exam; a stock batch; a pending
    consent form)."""
    from datetime import UTC, date, datetime

    from db.models import (
        Batch,
        ConsentFormInstance,
        ConsentFormTemplate,
        Document,
        FeeSchedule,
        Invoice,
        PerioExam,
        Product,
        TreatmentPlan,
    )
    from services.patients import sealing
    from tests.scheduling_fixtures import seed_matrix_appointment, seed_matrix_registration

    await seed_matrix_appointment(practice, patient)
    await seed_matrix_registration(practice)
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
    await _seed_marketing_photo(practice, patient)
    await _seed_webhook_endpoint(practice)
    await FeeSchedule.create(
        id=MATRIX_FEE_SCHEDULE_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        name="Matrix fees",
        valid_from=date(2030, 1, 1),
    )
    await Invoice.create(  # issued, so the patient (portal) may read it too
        id=MATRIX_INVOICE_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        status="ISSUED",
        number="MAT-000001",
        sequence_number=1,
    )
    await TreatmentPlan.create(
        id=MATRIX_PLAN_ID,
        plan_id=MATRIX_PLAN_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        status="PROPOSED",
    )
    template = await ConsentFormTemplate.create(
        practice_id=practice.id,  # type: ignore[attr-defined]
        form_key=MATRIX_FORM_ID,
        title="Matrix consent",
        treatment_kind="TOXIN",
        purpose="CONSULTATION",
        risks_text="Bruising.",
    )
    await ConsentFormInstance.create(
        id=MATRIX_FORM_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        template_id=template.id,
        purpose="CONSULTATION",
        treatment_kind="TOXIN",
    )
    await PerioExam.create(
        id=PERIO_EXAM_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        patient_id=patient.id,  # type: ignore[attr-defined]
        status="FINAL",
        examined_at=datetime(2030, 1, 15, 9, tzinfo=UTC),
        readings={"16": {"pd": [3] * 6, "gm": [0] * 6, "b": 0, "s": 0, "p": 0, "m": 0, "f": {}}},
    )
    product = await Product.create(
        organization_id=practice.organization_id,  # type: ignore[attr-defined]
        name="Matrix toxin",
        brand="Matrix",
        kind="TOXIN",
        unit="UNITS",
    )
    await Batch.create(
        id=MATRIX_BATCH_ID,
        practice_id=practice.id,  # type: ignore[attr-defined]
        product_id=product.id,
        lot_number=MATRIX_LOT,
        expires_on=date(2099, 1, 1),
        quantity_received_milli=1000,
        on_hand_milli=1000,
        received_on=date(2026, 1, 1),
    )
    await _seed_injection(practice, patient, product.id)


async def _seed_injection(practice: object, patient: object, product_id: object) -> None:
    """One treatment of the patient that used the matrix batch (for the recalls and
    ``Patient.injectableTreatments``)."""
    from datetime import UTC, datetime

    from db.models import InjectableTreatment, InjectionPoint, Practitioner, User

    user = await User.create(
        email=f"matrix-{MATRIX_TREATMENT_ID}-{practice.id}@example.test",  # type: ignore[attr-defined]
        full_name="Matrix Doctor",
        password_hash="unusable",
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
        product_id=product_id,
        batch_id=MATRIX_BATCH_ID,
        amount_milli=500,
        depth="INTRAMUSCULAR",
        technique="BOLUS",
        map_key="FACE_FRONT",
        map_version=1,
        zone="GLABELLA",
        x=0.5,
        y=0.3,
        treated_at=when,
    )


async def _seed_webhook_endpoint(practice: object) -> None:
    """A partner app of the practice's organisation with one webhook endpoint."""
    from db.models import PartnerClient, PartnerWebhookEndpoint

    organization_id = practice.organization_id  # type: ignore[attr-defined]
    client = await PartnerClient.create(
        organization_id=organization_id,
        name="Matrix partner",
        client_id=MATRIX_CLIENT_ID,
        secret_hash="-",
        scopes=["patient:read"],
        practice_ids=[str(practice.id)],  # type: ignore[attr-defined]
    )
    await PartnerWebhookEndpoint.create(
        id=MATRIX_WEBHOOK_ENDPOINT_ID,
        organization_id=organization_id,
        partner_client_id=client.id,
        url="https://hooks.partner.example/in",
        event_types=["patient.updated"],
        secret="-",  # never opened by the reads the matrix makes
    )


async def _seed_marketing_photo(practice: object, patient: object) -> None:
    """A face photo in a series, marked for marketing under a PHOTOS_IN_MARKETING grant, so
    ``Patient.photoSeries`` and ``marketingPhotos`` return a row to whoever may read them."""
    from datetime import UTC, datetime, timedelta

    from db.models import ConsentRecord, Document, PhotoSeries, PhotoSeriesItem
    from services.patients import sealing

    practice_id = practice.id  # type: ignore[attr-defined]
    patient_id = patient.id  # type: ignore[attr-defined]
    photo = Document(
        practice_id=practice_id,
        patient_id=patient_id,
        kind="EXTRAORAL_PHOTO",
        content_type="image/jpeg",
        size_bytes=1,
        sha256="0" * 64,
        blob_key="00/" + "2" * 62,
        wrapped_key="unused: the matrix reads the row, never the file",
    )
    photo.title = sealing.seal(photo, "title", "Matrix face photo") or ""
    await photo.save()
    granted = datetime.now(UTC) - timedelta(days=1)
    await ConsentRecord.create(
        practice_id=practice_id,
        patient_id=patient_id,
        seq=1,
        purpose="PHOTOS_IN_MARKETING",
        subject="",
        granted=True,
        policy_version="photos-v1",
        method="RECEPTION",
        effective_at=granted,
    )
    series = await PhotoSeries.create(practice_id=practice_id, patient_id=patient_id, area="LIPS")
    await PhotoSeriesItem.create(
        practice_id=practice_id,
        patient_id=patient_id,
        series_id=series.id,
        document_id=photo.id,
        stage="AFTER",
        angle="FRONT",
        taken_at=granted,
        marketing_marked_at=datetime.now(UTC),
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
