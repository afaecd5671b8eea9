"""The world the generated visibility tests run in, and the schema walker they share.

Three target patients in one practice, each with a booking on the board (one outside bookable
time, so it is stranded too), a recall, a waitlist entry and audit rows, and every kind of
principal: each staff role of the practice, the system owner, staff of another organization, a
patient (own record), a guardian (own record plus a child), the restricted patient themself, a
partner the first target shares data with (the second gave no consent, the third is
restricted), and a partner nobody shares with. Both partners hold every scope a partner app may
be granted (``PARTNER_SCOPES``, billing:read included), so every field is walked for them.

The walker finds what to test from the schema alone: a type carries patient data when it is
``Patient``/``BoardPatient``, has a ``patient``/``patientId`` field, or has a field of such a
type; a root field carries patient data when it returns such a type (or an interface one of
them implements: ``node``/``nodes``) or takes a ``patientId``. ``node``/``nodes`` are sent the
target patient's global id, with the ``Patient`` fragment selected.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_enum_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Undefined

from db.audit_chain import AuditRecord
from db.models import Appointment, Membership, Patient, Recall, WaitlistEntry
from graph import global_ids
from services import audit
from services.auth import clients
from services.clinical import catalogue
from services.policy import Role
from tests import factories
from tests.scheduling_fixtures import diary

SEEDS = {"Patient", "BoardPatient"}
PATIENT_FIELDS = {"patient", "patientId"}
ROOTS = ("Query", "Subscription")
WINDOW = {"from": "2030-01-15T00:00:00Z", "to": "2030-01-16T00:00:00Z"}
NESTING = 3  # object levels selected below a root field
RECALL_ARGUMENTS = ("batchId", "organizationId", "lotNumber")  # filled by ``_injected``


def patient_types(schema: GraphQLSchema) -> set[str]:
    """Every object type that can carry patient data (fixed point over the schema)."""
    objects = {
        name: t
        for name, t in schema.type_map.items()
        if is_object_type(t) and not name.startswith("__") and name not in (*ROOTS, "Mutation")
    }
    carrying = {n for n, t in objects.items() if n in SEEDS or PATIENT_FIELDS & set(t.fields)}  # type: ignore[attr-defined]
    grew = True
    while grew:
        grew = False
        for name, t in objects.items():
            if name not in carrying and any(
                get_named_type(f.type).name in carrying
                for f in t.fields.values()  # type: ignore[attr-defined]
            ):
                carrying.add(name)
                grew = True
    return carrying


def patient_roots(schema: GraphQLSchema) -> Iterator[tuple[str, str, GraphQLField]]:
    """(root type, field name, field) for every root field that can carry patient data."""
    carrying = patient_types(schema)
    for name, t in schema.type_map.items():
        if isinstance(t, GraphQLInterfaceType) and any(
            o.name in carrying for o in schema.get_possible_types(t)
        ):
            carrying.add(name)
            # The targets are patients, so their global ids name Patient objects: that
            # fragment is selected (fragments of every type would conflict on ``status``).
            IMPLEMENTATIONS[name] = [o for o in schema.get_possible_types(t) if o.name == "Patient"]
    for root in ROOTS:
        kind = schema.get_type(root)
        assert isinstance(kind, GraphQLObjectType)
        for name, f in kind.fields.items():
            if get_named_type(f.type).name in carrying or "patientId" in f.args:
                yield root, name, f


# Interface -> the implementation the walker selects, Patient (filled by ``patient_roots``).
IMPLEMENTATIONS: dict[str, list[GraphQLObjectType]] = {}


def takes_node_ids(f: GraphQLField) -> bool:
    """``node(id:)``/``nodes(ids:)``: global ids of an interface's objects."""
    return get_named_type(f.type).name in IMPLEMENTATIONS and bool({"id", "ids"} & set(f.args))


def _required(f: GraphQLField) -> list[str]:
    return [
        n for n, a in f.args.items() if is_non_null_type(a.type) and a.default_value is Undefined
    ]


def selection(kind: GraphQLNamedType, depth: int = 0, seen: frozenset[str] = frozenset()) -> str:
    """Every field reachable without required arguments, ``NESTING`` levels deep."""
    if kind.name in IMPLEMENTATIONS:
        return " ".join(
            ["__typename"]
            + [
                f"... on {o.name} {{ {selection(o, depth, seen | {o.name})} }}"
                for o in IMPLEMENTATIONS[kind.name]
            ]
        )
    if not isinstance(kind, GraphQLObjectType):
        return "__typename"
    parts = []
    for name, f in kind.fields.items():
        if _required(f):
            continue
        inner = get_named_type(f.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif depth < NESTING and inner.name not in seen:
            parts.append(f"{name} {{ {selection(inner, depth + 1, seen | {inner.name})} }}")
    return " ".join(parts) or "__typename"


TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class World:
    practice_id: str
    targets: dict[str, Patient]  # "consented", "unconsented", "restricted"
    tokens: dict[str, str]  # principal kind -> bearer token
    sees: dict[str, set[str]]  # principal kind -> the targets it may see
    actor_id: str  # a staff user who read every target (for breachImpact)
    appointments: dict[str, str]  # target -> its board appointment
    admin: str = "PRACTICE_ADMIN"
    clinician: str = "DENTIST"  # the control for clinical fields (an admin holds no clinical scope)
    partner_client: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    appointment_type_id: str = ""  # a dental type (availableSlots for a patient)

    def markers(self, target: str) -> tuple[str, str]:
        """What would identify the target in a response: its unique last name and its id."""
        patient = self.targets[target]
        return patient.last_name, str(patient.id)

    def leaked(self, kind: str, body: object) -> list[str]:
        """Targets hidden from ``kind`` whose markers appear in ``body``."""
        text = str(body)
        hidden = set(self.targets) - self.sees[kind]
        return sorted(t for t in hidden if any(m in text for m in self.markers(t)))

    def shown(self, body: object) -> set[str]:
        text = str(body)
        return {t for t in self.targets if any(m in text for m in self.markers(t))}

    def argument(self, root: str, name: str, f: GraphQLField, target: str) -> object:
        """A value for a required argument, by name and type; ``Undefined`` if unknown."""
        kind = get_named_type(f.args[name].type)
        if takes_node_ids(f):
            raw = self.targets[target].id if target else uuid.uuid4()
            value = global_ids.encode("Patient", raw)
            return value if name == "id" else [value]
        if name == "patientId" or (name == "id" and get_named_type(f.type).name == "Patient"):
            return str(self.targets[target].id) if target else str(uuid.uuid4())
        values: dict[str, object] = {
            "practiceId": self.practice_id,
            "id": self.practice_id,
            "userId": self.actor_id,
            "appointmentTypeId": self.appointment_type_id or str(uuid.uuid4()),
            **WINDOW,
            # the recalls: the world's batch and lot (``_injected``), placeholders before it
            **{k: self.extra.get(k, str(uuid.uuid4())) for k in RECALL_ARGUMENTS},
        }
        if name in values:
            return values[name]
        if is_enum_type(kind):
            return next(iter(kind.values))  # type: ignore[attr-defined]
        return Undefined


PARTNER_SCOPES = ("practice:read", "patient:read", "schedule:read", "clinical:read", "billing:read")
SHARE = """
mutation R($input: RecordConsentInput!) { recordConsent(input: $input) { consent { id } } }"""
UNSHARE = """
mutation W($input: WithdrawConsentInput!) { withdrawConsent(input: $input) { consent { id } } }"""


async def partner_token(
    http: httpx.AsyncClient,
    practice_id: object,
    org_id: object,
    scopes: tuple[str, ...] = PARTNER_SCOPES,
) -> Any:
    """A partner app registered on the practice with ``scopes``, and a token for all of them."""
    registered = await clients.register(
        organization_id=org_id,  # type: ignore[arg-type]
        name=f"Partner app {uuid.uuid4().hex[:6]}",
        scopes=list(scopes),
        practice_ids=[practice_id],  # type: ignore[list-item]
    )
    raw = f"{registered.client_id}:{registered.client_secret}".encode()
    issued = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"authorization": f"Basic {base64.b64encode(raw).decode()}"},
    )
    assert issued.status_code == 200, issued.text
    return registered, issued.json()["access_token"]


async def build(http: httpx.AsyncClient, gql: Any, *, restrict: bool = True) -> World:
    """The world; ``gql(query, variables, token)`` runs a GraphQL request for the caller."""
    d = await diary()
    practice = d.practice
    await catalogue.seed_practice(practice.id)
    org_id = practice.organization_id
    tag = uuid.uuid4().hex[:8]
    targets = {
        name: await factories.patient(practice, first_name="Vis", last_name=f"Vis{name}{tag}")
        for name in ("consented", "unconsented", "restricted")
    }
    staff_roles = [Role.ORG_ADMIN, Role.PRACTICE_ADMIN, Role.DENTIST, Role.HYGIENIST]
    org = await practice.organization
    tokens = {
        role.value: factories.access_token(await factories.user(role, practice, org=org))
        for role in staff_roles
    }
    tokens[Role.RECEPTIONIST.value] = d.token
    tokens["SYSTEM_OWNER"] = factories.access_token(await factories.user(Role.SYSTEM_OWNER))
    elsewhere = await factories.practice()
    tokens["OTHER_PRACTICE_DENTIST"] = factories.access_token(
        await factories.user(Role.DENTIST, elsewhere)
    )
    own = await factories.user(Role.PATIENT, practice, patient_id=targets["consented"].id)
    tokens["PATIENT_OWN"] = factories.access_token(own)
    guardian_record = await factories.patient(practice, last_name=f"Guardian{tag}")
    guardian = await factories.user(Role.PATIENT, practice, patient_id=guardian_record.id)
    await Membership.create(
        user=guardian,
        role=Role.PATIENT.value,
        practice=practice,
        patient_id=targets["unconsented"].id,
    )
    tokens["GUARDIAN"] = factories.access_token(guardian)
    restricted_self = await factories.user(
        Role.PATIENT, practice, patient_id=targets["restricted"].id
    )
    tokens["RESTRICTED_PATIENT"] = factories.access_token(restricted_self)
    partner, tokens["PARTNER"] = await partner_token(http, practice.id, org_id)
    _, tokens["PARTNER_NO_CONSENT"] = await partner_token(http, practice.id, org_id)

    admin = tokens[Role.PRACTICE_ADMIN.value]
    for name in ("consented", "restricted"):
        await share_data(gql, admin, targets[name].id, partner.client_id)
    world = World(
        appointment_type_id=str(d.exam.id),
        practice_id=str(practice.id),
        targets=targets,
        tokens=tokens,
        sees={
            **{kind: set(targets) for kind in ("ORG_ADMIN", "PRACTICE_ADMIN", "DENTIST")},
            "HYGIENIST": set(targets),
            "RECEPTIONIST": set(targets),
            "SYSTEM_OWNER": set(),
            "OTHER_PRACTICE_DENTIST": set(),
            "PATIENT_OWN": {"consented"},
            "GUARDIAN": {"unconsented"},
            "RESTRICTED_PATIENT": {"restricted"},
            "PARTNER": {"consented"} if restrict else {"consented", "restricted"},
            "PARTNER_NO_CONSENT": set(),
        },
        actor_id=str(d.dentist_user.id),
        appointments={},
        partner_client=partner.client_id,
    )
    if restrict:
        await restrict_target(world, gql)
    for hour, name in zip((10, 11, 20), targets, strict=True):  # 20:00 is outside sessions
        patient = targets[name]
        booked = await Appointment.create(
            practice_id=practice.id,
            patient_id=patient.id,
            practitioner_id=d.dentist.id,
            room_id=d.room.id,
            appointment_type_id=d.exam.id,
            starts_at=datetime(2030, 1, 15, hour, tzinfo=UTC),
            ends_at=datetime(2030, 1, 15, hour, 30, tzinfo=UTC),
        )
        world.appointments[name] = str(booked.id)
        uploaded = await http.post(
            "/documents",
            params={"patientId": str(patient.id), "kind": "XRAY", "title": f"X-ray {name}"},
            content=TINY_PNG,
            headers={
                "authorization": f"Bearer {tokens[Role.DENTIST.value]}",
                "content-type": "image/png",
            },
        )
        assert uploaded.status_code == 201, uploaded.text
        await _completed_plan(gql, tokens[Role.DENTIST.value], patient.id)
        await _billing_account(gql, tokens[Role.RECEPTIONIST.value], practice.id, patient.id)
        await _issued_invoice(gql, tokens[Role.RECEPTIONIST.value], patient.id)
        await _injected(world, practice, patient, d.dentist)
        await _marketing_photo(http, gql, tokens, patient.id)
        await _signed_form(gql, tokens[Role.DENTIST.value], practice.id, patient.id)
        await Recall.create(
            practice_id=practice.id,
            patient_id=patient.id,
            kind="EXAM",
            interval_months=6,
            due_on=date(2020, 1, 1),
        )
        await WaitlistEntry.create(
            practice_id=practice.id,
            patient_id=patient.id,
            appointment_type_id=d.exam.id,
            weekdays=[1],
        )
        await audit.write(
            [
                AuditRecord(
                    action="READ query Seed",
                    organization_id=org_id,
                    practice_id=practice.id,
                    actor_user_id=d.dentist_user.id,
                    entity_type="Patient",
                    entity_id=str(patient.id),
                    patient_id=patient.id,
                    occurred_at=datetime(2030, 1, 15, 12, tzinfo=UTC),  # inside WINDOW
                )
            ]
        )
    return world


async def share_data(
    gql: Any, token: str, patient_id: object, client_id: str, *, granted: bool = True
) -> None:
    """The patient's DATA_SHARING decision for the partner app (``granted=False``: withdrawn),
    recorded by staff through the API like at reception."""
    decision = {
        "patientId": str(patient_id),
        "purpose": "DATA_SHARING",
        "partnerClientId": client_id,
        "policyVersion": "share-v1",
        "method": "RECEPTION",
    }
    done = await gql(SHARE if granted else UNSHARE, {"input": decision}, token)
    assert not done.get("errors"), done


async def _billing_account(gql: Any, token: str, practice_id: object, patient_id: object) -> None:
    """An NHS course with an item and a membership: the patient shows in ``nhsCourses`` and
    ``Patient.memberships``."""
    opened = await gql(
        "mutation O($input: OpenNhsCourseInput!) { openNhsCourse(input: $input) "
        "{ course { id } } }",
        {"input": {"patientId": str(patient_id), "openedOn": "2026-01-05"}},
        token,
    )
    assert not opened.get("errors"), opened
    added = await gql(
        "mutation A($input: AddToNhsCourseInput!) { addToNhsCourse(input: $input) "
        "{ course { id } } }",
        {
            "input": {
                "courseId": opened["data"]["openNhsCourse"]["course"]["id"],
                "items": [{"procedureCode": "EXAM"}],
            }
        },
        token,
    )
    assert not added.get("errors"), added
    plan = await gql(
        "mutation P($input: CreateMembershipPlanInput!) { createMembershipPlan(input: $input) "
        "{ plan { id } } }",
        {
            "input": {
                "practiceId": str(practice_id),
                "name": f"Vis plan {patient_id}",
                "monthlyFee": {"amount": 1500},
            }
        },
        token,
    )
    assert not plan.get("errors"), plan
    enrolled = await gql(
        "mutation E($input: EnrolMembershipInput!) { enrolMembership(input: $input) "
        "{ membership { id } } }",
        {
            "input": {
                "patientId": str(patient_id),
                "planId": plan["data"]["createMembershipPlan"]["plan"]["id"],
                "startedOn": "2026-01-05",
            }
        },
        token,
    )
    assert not enrolled.get("errors"), enrolled


PLAN_STEPS = (
    ("createTreatmentPlan", "CreateTreatmentPlanInput"),
    ("addPlanItem", "AddPlanItemInput"),
    ("acceptTreatmentPlan", "AcceptTreatmentPlanInput"),
    ("completePlanItem", "PlanItemIdInput"),
)


async def _completed_plan(gql: Any, token: str, patient_id: object) -> None:
    """A signed plan whose one item is done: the patient shows in treatmentPlans and in the
    practice's completedNotInvoiced."""
    plan_id = item_id = ""
    for name, input_type in PLAN_STEPS:
        values: dict[str, object] = {
            "createTreatmentPlan": {"patientId": str(patient_id)},
            "addPlanItem": {"planId": plan_id, "code": "XR-BW"},  # no recall effect
            "acceptTreatmentPlan": {
                "planId": plan_id,
                "signedName": "Vis",
                "signatureBase64": base64.b64encode(TINY_PNG).decode(),
                "signatureContentType": "image/png",
            },
            "completePlanItem": {"itemId": item_id},
        }[name]
        done = await gql(
            f"mutation M($input: {input_type}!) {{ {name}(input: $input) "
            "{ plan { id phases { items { id } } } } }",
            {"input": values},
            token,
        )
        assert not done.get("errors"), done
        plan = done["data"][name]["plan"]
        plan_id = plan["id"]
        item_id = next((i["id"] for p in plan["phases"] for i in p["items"]), "")


async def _issued_invoice(gql: Any, token: str, patient_id: object) -> None:
    """An issued invoice of a manual line (the completed plan item stays on the billing work
    list, completedNotInvoiced): the patient shows in patientInvoices."""
    invoice_id = ""
    line = {
        "description": "Mouthguard",
        "unitPrice": {"amount": 12000, "currency": "GBP"},
        "vatCategory": "EXEMPT",
    }
    for name, input_type, values in (
        ("createInvoice", "CreateInvoiceInput", {"patientId": str(patient_id), "lines": [line]}),
        ("issueInvoice", "InvoiceIdInput", {}),
    ):
        done = await gql(
            f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ invoice {{ id }} }} }}",
            {"input": values or {"invoiceId": invoice_id}},
            token,
        )
        assert not done.get("errors"), done
        invoice_id = done["data"][name]["invoice"]["id"]


async def _marketing_photo(
    http: httpx.AsyncClient, gql: Any, tokens: dict[str, str], patient_id: object
) -> None:
    """A face photo in a series, marked for marketing under a PHOTOS_IN_MARKETING grant: the
    patient shows in ``Patient.photoSeries`` and in the practice's ``marketingPhotos``."""
    dentist = tokens[Role.DENTIST.value]
    uploaded = await http.post(
        "/documents",
        params={"patientId": str(patient_id), "kind": "EXTRAORAL_PHOTO", "title": "Face"},
        content=TINY_PNG,
        headers={"authorization": f"Bearer {dentist}", "content-type": "image/png"},
    )
    assert uploaded.status_code == 201, uploaded.text
    granted = await gql(
        "mutation R($input: RecordConsentInput!) { recordConsent(input: $input) "
        "{ consent { id } } }",
        {
            "input": {
                "patientId": str(patient_id),
                "purpose": "PHOTOS_IN_MARKETING",
                "policyVersion": "photos-v1",
                "method": "RECEPTION",
            }
        },
        tokens[Role.PRACTICE_ADMIN.value],
    )
    assert not granted.get("errors"), granted
    series_id = item_id = ""
    for name, input_type in (
        ("createPhotoSeries", "CreatePhotoSeriesInput"),
        ("addPhotoToSeries", "AddPhotoToSeriesInput"),
        ("markPhotoForMarketing", "PhotoSeriesItemInput"),
    ):
        values: dict[str, object] = {
            "createPhotoSeries": {"patientId": str(patient_id), "area": "LIPS"},
            "addPhotoToSeries": {
                "seriesId": series_id,
                "documentId": uploaded.json()["id"],
                "stage": "AFTER",
                "angle": "FRONT",
                "takenAt": "2026-01-10T10:00:00+00:00",
            },
            "markPhotoForMarketing": {"itemId": item_id},
        }[name]
        done = await gql(
            f"mutation M($input: {input_type}!) {{ {name}(input: $input) "
            "{ series { id items { id } } } }",
            {"input": values},
            dentist,
        )
        assert not done.get("errors"), done
        series_id = done["data"][name]["series"]["id"]
        item_id = next((i["id"] for i in done["data"][name]["series"]["items"]), "")


async def _signed_form(gql: Any, token: str, practice_id: object, patient_id: object) -> None:
    """A signed consent form: the patient shows in consentForms (patient data: answers, typed
    name, signature and PDF documents)."""
    template_id = ""
    existing = await gql(
        "query T($p: ID!) { consentFormTemplates(practiceId: $p) { current { id } } }",
        {"p": str(practice_id)},
        token,
    )
    assert not existing.get("errors"), existing
    if existing["data"]["consentFormTemplates"]:
        template_id = existing["data"]["consentFormTemplates"][0]["current"]["id"]
    else:
        made = await gql(
            "mutation C($input: CreateConsentFormTemplateInput!) { createConsentFormTemplate("
            "input: $input) { template { current { id } } } }",
            {
                "input": {
                    "practiceId": str(practice_id),
                    "title": "Toxin consultation",
                    "treatmentKind": "TOXIN",
                    "purpose": "CONSULTATION",
                    "risksText": "Bruising is common.",
                    "questions": [{"key": "pregnant", "text": "Pregnant?", "kind": "YES_NO"}],
                }
            },
            token,
        )
        assert not made.get("errors"), made
        template_id = made["data"]["createConsentFormTemplate"]["template"]["current"]["id"]
    issued = await gql(
        "mutation I($input: IssueConsentFormInput!) { issueConsentForm(input: $input) "
        "{ form { id } } }",
        {"input": {"patientId": str(patient_id), "templateId": template_id}},
        token,
    )
    assert not issued.get("errors"), issued
    signed = await gql(
        "mutation S($input: SignConsentFormInput!) { signConsentForm(input: $input) "
        "{ form { id } } }",
        {
            "input": {
                "id": issued["data"]["issueConsentForm"]["form"]["id"],
                "signedName": "Vis",
                "signatureImage": base64.b64encode(TINY_PNG).decode(),
                "answers": [{"key": "pregnant", "answer": "NO"}],
            }
        },
        token,
    )
    assert not signed.get("errors"), signed


async def restrict(gql: Any, token: str, patient_id: object) -> None:
    """A processing restriction (Art. 18) in force on the patient, placed by staff."""
    placed = await gql(
        "mutation P($input: PlaceRestrictionInput!) { placeRestriction(input: $input) "
        "{ restrictionId } }",
        {
            "input": {
                "patientId": str(patient_id),
                "kind": "RESTRICTION",
                "reason": "Patient contests accuracy",
            }
        },
        token,
    )
    assert not placed.get("errors"), placed


async def restrict_target(world: World, gql: Any) -> None:
    await restrict(gql, world.tokens[world.admin], world.targets["restricted"].id)
    world.sees["PARTNER"].discard("restricted")


async def _injected(world: World, practice: Any, patient: Patient, practitioner: Any) -> None:
    """A toxin treatment of the patient from the world's one batch (created on first use), so
    the batch and lot recalls name every target."""
    from db.models import Batch, InjectableTreatment, InjectionPoint, Product

    if "batchId" not in world.extra:
        product = await Product.create(
            organization_id=practice.organization_id,
            name="Vis toxin",
            brand="Vis",
            kind="TOXIN",
            unit="UNITS",
        )
        batch = await Batch.create(
            practice_id=practice.id,
            product_id=product.id,
            lot_number="VIS-LOT-1",
            expires_on=date(2031, 1, 1),
            quantity_received_milli=100_000,
            on_hand_milli=100_000,
            received_on=date(2029, 1, 1),
        )
        world.extra.update(
            batchId=str(batch.id),
            productId=str(product.id),
            organizationId=str(practice.organization_id),
            lotNumber="VIS-LOT-1",
        )
    when = datetime(2029, 6, 1, 10, tzinfo=UTC)
    treatment = await InjectableTreatment.create(
        practice_id=practice.id,
        patient_id=patient.id,
        practitioner_id=practitioner.id,
        treated_at=when,
    )
    await InjectionPoint.create(
        practice_id=practice.id,
        patient_id=patient.id,
        treatment_id=treatment.id,
        product_id=world.extra["productId"],
        batch_id=world.extra["batchId"],
        amount_milli=4000,
        depth="INTRAMUSCULAR",
        technique="BOLUS",
        map_key="FACE_FRONT",
        map_version=1,
        zone="GLABELLA",
        x=0.5,
        y=0.3,
        treated_at=when,
    )
