"""Consent forms for aesthetic treatments: versioned templates per practice and the copies
patients sign.

A template is a series of versions sharing a ``form_key``. Editing one inserts version n+1 and
marks version n superseded; archiving marks the newest version superseded with no successor.
An instance points at the exact version it showed, so a signed form reads as it was signed
whatever happens to the template afterwards.

Signing records the typed name, the drawn signature (a SIGNATURE document), the answers, the
time, the client's IP and user agent, the witness, a TREATMENT grant in the consent ledger
(subject: the form instance), a SHA-256 over a canonical JSON of what was signed (template
version text, answers, signed name, time) and the form rendered as a PDF (a CONSENT_FORM
document, opened through ``/documents/{id}`` like any other). The two sealed blobs are written
first; every row, audit record and event then commits in one unit of work, and the blobs are
removed if it does not.

Reading forms needs clinical:read and the patient visible (``patient_access``, through the
visibility policy: a patient reads their own); issuing and voiding need clinical:write in the
patient's practice; signing needs clinical:write (in the clinic, a staff witness) or is the
patient's own act in the portal (their own record only, no witness, ledger method PORTAL).
Templates are read with clinical:read and written with clinical:write in their practice.

The cooling-off rule reads SIGNED instances with purpose CONSULTATION, their ``signed_at`` and
``treatment_kind`` (copied from the template version when the form is issued).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from db.models import ConsentFormInstance, ConsentFormTemplate, Patient
from db.models.consent import CaptureMethod
from db.outbox import PendingEvent
from db.queries import accounts, organizations, patient_appointments
from db.queries import consent_forms as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate
from services.aesthetics import form_pdf
from services.consent import ledger
from services.documents import library, signatures
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import organization_id, record_change
from services.policy import Role, Scope
from services.principal import Principal
from services.scheduling.kinds import AestheticKind

TOPIC = "clinical"
POLICY_PREFIX = "consent-form"
MAX_QUESTIONS = 50
MAX_RISKS = 20_000
MAX_ANSWER = 2_000
MAX_PDF_BYTES = 2 * 1024 * 1024
MAX_REASON = 500
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STAFF_ROLES = frozenset(
    r.value for r in Role if r not in (Role.PATIENT, Role.PARTNER, Role.SYSTEM_OWNER)
)


class FormPurpose(StrEnum):
    CONSULTATION = "CONSULTATION"  # signed at the consultation; starts the cooling-off period
    TREATMENT = "TREATMENT"  # signed on the day of treatment


TreatmentKind = AestheticKind  # the same vocabulary as products and appointment types


class QuestionKind(StrEnum):
    YES_NO = "YES_NO"
    TEXT = "TEXT"


class FormStatus(StrEnum):
    PENDING = "PENDING"
    SIGNED = "SIGNED"
    VOIDED = "VOIDED"


YES_NO = frozenset({"YES", "NO"})


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: str
    kind: QuestionKind
    required: bool = True


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    """A new form, or an edit (``None`` keeps the current version's value)."""

    title: str | None = None
    treatment_kind: TreatmentKind | None = None
    purpose: FormPurpose | None = None
    risks_text: str | None = None
    questions: Sequence[Question] | None = None


@dataclass(frozen=True, slots=True)
class TemplateFamily:
    """One form: its newest version (``current`` None when archived) and every version."""

    newest: ConsentFormTemplate
    versions: list[ConsentFormTemplate]

    @property
    def archived(self) -> bool:
        return self.newest.superseded_at is not None


@dataclass(frozen=True, slots=True)
class Signing:
    signed_name: str
    signature_image: str  # base64 PNG or JPEG
    answers: Sequence[tuple[str, str]]  # (question key, answer)
    witness_user_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class FormView:
    """An instance with the template version it shows."""

    form: ConsentFormInstance
    template: ConsentFormTemplate


# Templates -----------------------------------------------------------------------------------


def _questions(value: Sequence[Question]) -> list[dict[str, Any]]:
    if len(value) > MAX_QUESTIONS:
        raise ValidationFailed(f"A form has at most {MAX_QUESTIONS} questions.", field="questions")
    seen: set[str] = set()
    cleaned: list[dict[str, Any]] = []
    for q in value:
        key = q.key.strip()
        if not _KEY.match(key) or key in seen:
            raise ValidationFailed(
                "Question keys are unique lower-case words (a-z, 0-9, _; at most 40).",
                field="questions",
            )
        seen.add(key)
        text = v.text(q.text, "questions", max_length=500, required=True) or ""
        cleaned.append(
            {"key": key, "text": text, "kind": QuestionKind(q.kind).value, "required": q.required}
        )
    return cleaned


def _template_values(draft: TemplateDraft, base: ConsentFormTemplate | None) -> dict[str, Any]:
    def pick(value: Any, field: str) -> Any:
        if value is None and base is not None:
            return getattr(base, field)
        return value

    title = pick(draft.title, "title")
    risks = pick(draft.risks_text, "risks_text")
    kind = pick(draft.treatment_kind, "treatment_kind")
    purpose = pick(draft.purpose, "purpose")
    if kind is None:
        raise ValidationFailed("Give the treatment kind.", field="treatmentKind")
    if purpose is None:
        raise ValidationFailed("Give the purpose.", field="purpose")
    questions = (
        _questions(draft.questions)
        if draft.questions is not None
        else (list(base.questions) if base is not None else [])
    )
    risks_text = (risks or "").strip()
    if not risks_text or len(risks_text) > MAX_RISKS:
        raise ValidationFailed(
            f"Give the risks text (1-{MAX_RISKS} characters).", field="risksText"
        )
    return {
        "title": v.text(title or "", "title", max_length=200, required=True) or "",
        "treatment_kind": TreatmentKind(kind).value,
        "purpose": FormPurpose(purpose).value,
        "risks_text": risks_text,
        "questions": questions,
    }


async def _may_write(principal: Principal, pid: PracticeId, action: str) -> None:
    if not principal.has_scope(Scope.CLINICAL_WRITE, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to change consent forms.")


async def _writable_practice(principal: Principal, practice_id: UUID, action: str) -> PracticeId:
    """NOT_FOUND for a practice the caller is not staff of; FORBIDDEN (audited) without
    clinical:write there."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_READ)
    await _may_write(principal, pid, action)
    return pid


async def _template_changed(
    uow: UnitOfWork,
    principal: Principal,
    row: ConsentFormTemplate,
    action: str,
    fields: list[str],
) -> None:
    pid = tenant_gate.practice_of(row)
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=pid,
            entity_type="ConsentFormTemplate",
            entity_id=row.id,
            fields=sorted(fields),
        )
    )
    uow.emit(
        PendingEvent(
            organization_id=await organization_id(principal, pid),
            practice_id=pid,
            topic=TOPIC,
            type="CONSENT_FORM_TEMPLATE_CHANGED",
            entity_id=UUID(str(row.form_key)),
            payload=actors.stamped({"version": row.version}, principal),
        )
    )


async def templates(
    principal: Principal, *, practice_id: UUID, include_archived: bool = False
) -> list[TemplateFamily]:
    """A practice's forms at their newest version, each with every version (clinical:read)."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.CLINICAL_READ)
    families: dict[str, list[ConsentFormTemplate]] = {}
    for row in await queries.templates_of(pid):
        families.setdefault(str(row.form_key), []).append(row)
    found = [
        TemplateFamily(newest=max(rows, key=lambda r: r.version), versions=rows)
        for rows in families.values()
    ]
    found = [f for f in found if include_archived or not f.archived]
    return sorted(found, key=lambda f: (f.newest.title.casefold(), str(f.newest.form_key)))


async def create_template(
    principal: Principal, *, practice_id: UUID, draft: TemplateDraft
) -> TemplateFamily:
    pid = await _writable_practice(principal, practice_id, "CREATE consent_form_template")
    values = _template_values(draft, None)
    row = ConsentFormTemplate(
        id=uuid4(),
        practice_id=pid,
        form_key=uuid4(),
        version=1,
        created_by_user_id=principal.user_id,
        **values,
    )
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        await _template_changed(uow, principal, row, "CREATE consent_form_template", list(values))
    return TemplateFamily(row, [row])


async def _family_for_write(principal: Principal, key_or_id: UUID) -> ConsentFormTemplate:
    """Any version of the form named by its form key or a version id; NOT_FOUND outside the
    caller's practices, FORBIDDEN (audited) without clinical:write there."""
    if principal.is_patient:
        raise NotFound("Consent form template")
    found = await queries.form_key_of(principal.practices_with(Scope.PRACTICE_READ), key_or_id)
    if found is None:
        raise NotFound("Consent form template")
    await _may_write(principal, tenant_gate.practice_of(found), "UPDATE consent_form_template")
    return found


async def _versions(pid: PracticeId, form_key: UUID) -> list[ConsentFormTemplate]:
    return [r for r in await queries.templates_of(pid) if str(r.form_key) == str(form_key)]


async def edit_template(
    principal: Principal, *, key_or_id: UUID, draft: TemplateDraft
) -> TemplateFamily:
    """A new version (same form key, version + 1); the old one is marked superseded. Instances
    keep pointing at the version they showed, so no signed form changes."""
    found = await _family_for_write(principal, key_or_id)
    pid = tenant_gate.practice_of(found)
    async with unit_of_work() as uow:
        newest = await queries.latest_version(
            pid, UUID(str(found.form_key)), connection=uow.connection, for_update=True
        )
        assert newest is not None
        if newest.superseded_at is not None:
            raise Conflict("An archived form is not edited.", field="formKey")
        values = _template_values(draft, newest)
        changed = [k for k, value in values.items() if getattr(newest, k) != value]
        if not changed:
            raise ValidationFailed("Nothing to change.", field="formKey")
        newest.superseded_at = datetime.now(UTC)
        await newest.save(using_db=uow.connection, update_fields=["superseded_at"])
        row = ConsentFormTemplate(
            id=uuid4(),
            practice_id=pid,
            form_key=newest.form_key,
            version=newest.version + 1,
            created_by_user_id=principal.user_id,
            **values,
        )
        await row.save(using_db=uow.connection)
        await _template_changed(
            uow, principal, newest, "SUPERSEDE consent_form_template", ["supersededAt"]
        )
        await _template_changed(
            uow, principal, row, "CREATE consent_form_template_version", changed
        )
    return TemplateFamily(row, await _versions(pid, UUID(str(row.form_key))))


async def archive_template(principal: Principal, *, key_or_id: UUID) -> TemplateFamily:
    """No new instances of the form from now on; issued and signed ones are untouched."""
    found = await _family_for_write(principal, key_or_id)
    pid = tenant_gate.practice_of(found)
    async with unit_of_work() as uow:
        newest = await queries.latest_version(
            pid, UUID(str(found.form_key)), connection=uow.connection, for_update=True
        )
        assert newest is not None
        if newest.superseded_at is not None:
            raise Conflict("This form is already archived.", field="formKey")
        newest.superseded_at = datetime.now(UTC)
        await newest.save(using_db=uow.connection, update_fields=["superseded_at"])
        await _template_changed(
            uow, principal, newest, "ARCHIVE consent_form_template", ["supersededAt"]
        )
    return TemplateFamily(newest, await _versions(pid, UUID(str(newest.form_key))))


# Instances -----------------------------------------------------------------------------------


async def _found(
    principal: Principal, form_id: UUID, scope: Scope, action: str
) -> tuple[ConsentFormInstance, Patient]:
    found = await queries.instance(principal.practices_with(Scope.PATIENT_READ), form_id)
    if found is None:
        raise NotFound("Consent form")
    try:
        patient = await patient_access.clinical_patient(
            principal, UUID(str(found.patient_id)), scope, action=action
        )
    except NotFound:  # a patient this principal may not see: exactly like a random form id
        raise NotFound("Consent form") from None
    return found, patient


async def _views(rows: Sequence[ConsentFormInstance]) -> list[FormView]:
    pids = {tenant_gate.practice_of(r) for r in rows}
    by_id = await queries.templates_by_id(pids, {UUID(str(r.template_id)) for r in rows})
    return [FormView(r, by_id[str(r.template_id)]) for r in rows]


async def forms_of(principal: Principal, *, patient_id: UUID) -> list[FormView]:
    """A patient's consent forms, newest first (clinical:read; a patient their own)."""
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_READ, action="READ consent_form"
    )
    pid = tenant_gate.practice_of(patient)
    return await _views(await queries.instances_of_patient(pid, UUID(str(patient.id))))


async def form(principal: Principal, *, form_id: UUID) -> FormView:
    found, _ = await _found(principal, form_id, Scope.CLINICAL_READ, "READ consent_form")
    return (await _views([found]))[0]


async def _form_changed(
    uow: UnitOfWork, principal: Principal, patient: Patient, row: ConsentFormInstance, action: str
) -> None:
    await record_change(
        uow,
        principal,
        patient,
        action=action,
        event="CONSENT_FORM_CHANGED",
        changed=["consentForms"],
        entity_type="ConsentFormInstance",
        entity_id=row.id,
        topic=TOPIC,
        patient_stream=True,
    )


async def issue(
    principal: Principal,
    *,
    patient_id: UUID,
    template_id: UUID,
    appointment_id: UUID | None = None,
    treatment_id: UUID | None = None,
) -> FormView:
    """A PENDING copy of the template version for the patient to sign."""
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_WRITE, action="ISSUE consent_form"
    )
    pid = tenant_gate.practice_of(patient)
    template = await queries.template({pid}, template_id)
    if template is None:
        raise NotFound("Consent form template")
    if template.superseded_at is not None:
        raise Conflict(
            "This template version is superseded or archived; issue the current version.",
            field="templateId",
        )
    if appointment_id is not None and not await patient_appointments.is_patients(
        pid, UUID(str(patient.id)), appointment_id
    ):
        raise NotFound("Appointment")
    if treatment_id is not None and not await queries.treatment_is_patients(
        pid, UUID(str(patient.id)), treatment_id
    ):
        raise NotFound("Treatment")
    row = ConsentFormInstance(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        template_id=template.id,
        purpose=template.purpose,
        treatment_kind=template.treatment_kind,
        status=FormStatus.PENDING.value,
        appointment_id=appointment_id,
        treatment_id=treatment_id,
        created_by_user_id=principal.user_id,
    )
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        await _form_changed(uow, principal, patient, row, "ISSUE consent_form")
    return FormView(row, template)


def _answers(template: ConsentFormTemplate, pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The answers checked against the version's questions (field ``answers``)."""
    given = {key.strip(): answer for key, answer in pairs}
    if len(given) != len(pairs):
        raise ValidationFailed("A question is answered once.", field="answers")
    questions = {str(q["key"]): q for q in template.questions}
    unknown = sorted(set(given) - set(questions))
    if unknown:
        raise ValidationFailed("An answer names no question of this form.", field="answers")
    cleaned: dict[str, str] = {}
    for key, q in questions.items():
        raw = (given.get(key) or "").strip()
        if not raw:
            if q.get("required"):
                raise ValidationFailed("Every required question needs an answer.", field="answers")
            continue
        if q["kind"] == QuestionKind.YES_NO.value:
            raw = raw.upper()
            if raw not in YES_NO:
                raise ValidationFailed("A yes/no question is answered YES or NO.", field="answers")
        elif len(raw) > MAX_ANSWER or any(ord(c) < 32 and c not in "\n\t" for c in raw):
            raise ValidationFailed(
                f"An answer is at most {MAX_ANSWER} characters of text.", field="answers"
            )
        cleaned[key] = raw
    return cleaned


def signed_content(
    template: ConsentFormTemplate, answers: Mapping[str, str], signed_name: str, at: datetime
) -> str:
    """The canonical JSON the hash is over: the version's text, the answers, name and time."""
    value = {
        "form": {
            "formKey": str(template.form_key),
            "version": template.version,
            "title": template.title,
            "purpose": template.purpose,
            "treatmentKind": template.treatment_kind,
            "risksText": template.risks_text,
            "questions": template.questions,
        },
        "answers": dict(answers),
        "signedName": signed_name,
        "signedAt": at.astimezone(UTC).isoformat(),
    }
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def _witness(pid: PracticeId, principal: Principal, given: UUID | None) -> UUID | None:
    if principal.is_patient:
        return None  # signed alone in the portal
    if given is None:
        return principal.user_id
    if not await queries.staff_in(pid, given, STAFF_ROLES):
        raise ValidationFailed(
            "The witness is not a member of this practice.", field="witnessUserId"
        )
    return given


async def _signable(
    principal: Principal, form_id: UUID, signing: Signing
) -> tuple[ConsentFormInstance, Patient]:
    """Staff with clinical:write sign in the clinic; a patient signs their own forms in the
    portal (their own record only, not a child's they can see as guardian; no witness)."""
    if not principal.is_patient:
        return await _found(principal, form_id, Scope.CLINICAL_WRITE, "SIGN consent_form")
    found, patient = await _found(principal, form_id, Scope.CLINICAL_READ, "SIGN consent_form")
    if UUID(str(patient.id)) not in principal.patient_ids:
        await audit.record_denied(
            principal, action="SIGN consent_form", practice_id=tenant_gate.practice_of(patient)
        )
        raise PolicyDenied("Only the patient signs their own consent form.")
    if signing.witness_user_id is not None:
        raise ValidationFailed("A form signed in the portal has no witness.", field="witnessUserId")
    return found, patient


async def sign(principal: Principal, *, form_id: UUID, signing: Signing) -> FormView:
    """Everything that can be refused is checked first; the signature and the rendered PDF are
    then sealed into the store, and the rows, ledger grant, audit and events commit together."""
    found, patient = await _signable(principal, form_id, signing)
    if found.status != FormStatus.PENDING.value:
        raise Conflict(f"A {found.status} form is not signed again.", field="id")
    pid = tenant_gate.practice_of(found)
    template = (await _views([found]))[0].template
    signed_name = v.text(signing.signed_name, "signedName", max_length=200, required=True) or ""
    answers = _answers(template, signing.answers)
    signature = signatures.decode(signing.signature_image, field="signatureImage")
    witness = await _witness(pid, principal, signing.witness_user_id)
    now = datetime.now(UTC)
    content = signed_content(template, answers, signed_name, now)
    digest = hashlib.sha256(content.encode()).hexdigest()
    practice = await organizations.practice({pid}, pid)
    names = await accounts.user_names({witness} if witness else set())
    title = f"{template.title} (version {template.version})"
    staged_signature = await signatures.stage(
        principal,
        patient,
        signature,
        title=f"Consent form signature: {title}"[:200],
        field="signatureImage",
    )
    staged: list[library.Staged] = [staged_signature]
    try:
        pdf = form_pdf.render(
            form_pdf.SignedForm(
                practice_name=practice.name if practice else "",
                patient_name=f"{patient.first_name} {patient.last_name}",
                title=template.title,
                version=template.version,
                purpose=template.purpose,
                treatment_kind=template.treatment_kind,
                risks_text=template.risks_text,
                questions=[
                    form_pdf.Answered(str(q["text"]), answers.get(str(q["key"]), ""))
                    for q in template.questions
                ],
                signed_name=signed_name,
                signed_at=now,
                signature_image=signature.data,
                content_sha256=digest,
                witness_name=names.get(witness) if witness else None,
            )
        )
        staged_pdf = await library.stage_for(
            principal,
            patient,
            library.Upload(
                patient_id=UUID(str(patient.id)),
                kind=library.DocumentKind.CONSENT_FORM.value,
                title=f"Signed consent form: {title}"[:200],
                content_type="application/pdf",
                data=pdf,
                filename="consent-form.pdf",
                appointment_id=None
                if found.appointment_id is None
                else UUID(str(found.appointment_id)),
            ),
            max_bytes=MAX_PDF_BYTES,
        )
        staged.append(staged_pdf)
        async with unit_of_work() as uow:
            locked = await _signed(
                uow,
                principal,
                found,
                patient,
                template,
                _Signed(
                    signature=staged_signature,
                    pdf=staged_pdf,
                    signed_name=signed_name,
                    answers=answers,
                    at=now,
                    digest=digest,
                    witness=witness,
                ),
            )
    except BaseException:
        for one in staged:
            await library.unstage(one)
        raise
    return FormView(locked, template)


@dataclass(frozen=True, slots=True)
class _Signed:
    signature: library.Staged
    pdf: library.Staged
    signed_name: str
    answers: dict[str, str]
    at: datetime
    digest: str
    witness: UUID | None


async def _signed(
    uow: UnitOfWork,
    principal: Principal,
    found: ConsentFormInstance,
    patient: Patient,
    template: ConsentFormTemplate,
    signed: _Signed,
) -> ConsentFormInstance:
    locked = await queries.instance(
        {tenant_gate.practice_of(found)},
        UUID(str(found.id)),
        connection=uow.connection,
        for_update=True,
    )
    assert locked is not None
    if locked.status != FormStatus.PENDING.value:  # again, under the lock
        raise Conflict(f"A {locked.status} form is not signed again.", field="id")
    await library.save_in(uow, principal, signed.signature)
    await library.save_in(uow, principal, signed.pdf)
    consent = await ledger.treatment_accepted_in(
        uow,
        principal,
        patient,
        treatment_id=UUID(str(locked.id)),
        policy_version=f"{POLICY_PREFIX}-v{template.version}",
        evidence_ref=f"document:{signed.pdf.document.id}",
        effective_at=signed.at,
        method=CaptureMethod.PORTAL if principal.is_patient else CaptureMethod.RECEPTION,
    )
    meta = principal.meta
    locked.status = FormStatus.SIGNED.value
    locked.signed_at = signed.at
    locked.signed_name = sealing.seal(locked, "signed_name", signed.signed_name)
    locked.answers = sealing.seal(
        locked, "answers", json.dumps(signed.answers, sort_keys=True, ensure_ascii=False)
    )
    locked.signed_ip = sealing.seal(locked, "signed_ip", meta.ip)
    agent = (meta.user_agent or "")[:500] or None
    locked.signed_user_agent = sealing.seal(locked, "signed_user_agent", agent)
    locked.signature_document_id = signed.signature.document.id
    locked.pdf_document_id = signed.pdf.document.id
    locked.witness_user_id = signed.witness
    locked.consent_record_id = consent.id
    locked.content_sha256 = signed.digest
    await locked.save(using_db=uow.connection)
    await _form_changed(uow, principal, patient, locked, "SIGN consent_form")
    return locked


async def void(principal: Principal, *, form_id: UUID, reason: str) -> FormView:
    """A PENDING or SIGNED form becomes VOIDED for good (a signed one's TREATMENT grant is
    withdrawn in the ledger); its rows, documents and hash stay as evidence."""
    found, patient = await _found(principal, form_id, Scope.CLINICAL_WRITE, "VOID consent_form")
    cleaned = (reason or "").strip()
    if not cleaned or len(cleaned) > MAX_REASON:
        raise ValidationFailed(f"Give a reason (1-{MAX_REASON} characters).", field="reason")
    async with unit_of_work() as uow:
        locked = await queries.instance(
            {tenant_gate.practice_of(found)},
            UUID(str(found.id)),
            connection=uow.connection,
            for_update=True,
        )
        assert locked is not None
        if locked.status == FormStatus.VOIDED.value:
            raise Conflict("This form is already voided.", field="id")
        if locked.status == FormStatus.SIGNED.value:
            await ledger.treatment_withdrawn_in(
                uow,
                principal,
                patient,
                treatment_id=UUID(str(locked.id)),
                evidence_ref=f"consent-form-voided:{locked.id}",
            )
        locked.status = FormStatus.VOIDED.value
        locked.voided_at = datetime.now(UTC)
        locked.void_reason = sealing.seal(locked, "void_reason", cleaned)
        await locked.save(
            using_db=uow.connection, update_fields=["status", "voided_at", "void_reason"]
        )
        await _form_changed(uow, principal, patient, locked, "VOID consent_form")
    return (await _views([locked]))[0]


# Reading sealed values -------------------------------------------------------------------------


def answers_of(row: ConsentFormInstance) -> dict[str, str]:
    text = sealing.reveal(row, "answers")
    return {} if text is None else dict(json.loads(text))


def signed_name_of(row: ConsentFormInstance) -> str | None:
    return sealing.reveal(row, "signed_name")


def signed_ip_of(row: ConsentFormInstance) -> str | None:
    return sealing.reveal(row, "signed_ip")


def signed_user_agent_of(row: ConsentFormInstance) -> str | None:
    return sealing.reveal(row, "signed_user_agent")


def void_reason_of(row: ConsentFormInstance) -> str | None:
    return sealing.reveal(row, "void_reason")
