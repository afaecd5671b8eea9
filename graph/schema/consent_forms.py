"""Consent forms as the graph shows them: template versions (a practice's standard wording, no
patient data) and the instances patients sign (patient data: answers, typed name, signature
and PDF documents, IP and user agent, the ledger row and the SHA-256 of what was signed).

``ConsentForm`` is reached only through ``consentForms`` / ``consentForm`` (``@requires
clinical:read``, the patient found again through the visibility policy by the service) or a
form mutation, whose service demanded ``clinical:write``. Each form returned is one audited
read (entity ``ConsentFormInstance``, the patient, the fields selected).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from db.models import ConsentFormTemplate as TemplateModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.nodes import Node
from graph.schema.scheduling_kinds import AestheticKind
from services.aesthetics import consent_forms as forms

ConsentFormPurpose = strawberry.enum(
    forms.FormPurpose,
    name="ConsentFormPurpose",
    description="CONSULTATION (signed at the consultation; starts the cooling-off period) or "
    "TREATMENT (signed on the day of treatment).",
)
AestheticTreatmentKind = AestheticKind
ConsentQuestionKind = strawberry.enum(
    forms.QuestionKind,
    name="ConsentQuestionKind",
    description="YES_NO (answered YES or NO) or TEXT (free text).",
)
ConsentFormStatus = strawberry.enum(
    forms.FormStatus,
    name="ConsentFormStatus",
    description="PENDING (issued, not signed), SIGNED (final), or VOIDED (withdrawn; kept).",
)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: object) -> strawberry.ID | None:
    return None if value is None else _id(value)


@strawberry.type(description="One question of a consent form version.")
class ConsentQuestion:
    key: str = strawberry.field(description="Stable key the answers use.")
    text: str = strawberry.field(description="The question as the patient reads it.")
    kind: ConsentQuestionKind = strawberry.field(description="How it is answered.")  # type: ignore[valid-type]
    required: bool = strawberry.field(description="Whether signing needs an answer.")


@strawberry.type(description="One version of a practice's consent form (standard wording).")
class ConsentFormTemplateVersion:
    id: strawberry.ID = strawberry.field(description="This version's id (issue forms from it).")
    form_key: strawberry.ID = strawberry.field(description="The form (the same for all versions).")
    version: int = strawberry.field(description="1 for the first version, then +1 per edit.")
    title: str = strawberry.field(description="The form's title.")
    treatment_kind: AestheticTreatmentKind = strawberry.field(description="Treatment kind.")  # type: ignore[valid-type]
    purpose: ConsentFormPurpose = strawberry.field(description="Consultation or treatment.")  # type: ignore[valid-type]
    risks_text: str = strawberry.field(description="The risks and information wording.")
    questions: list[ConsentQuestion] = strawberry.field(description="The questions, in order.")
    created_at: datetime = strawberry.field(description="When this version was made.")
    superseded_at: datetime | None = strawberry.field(
        description="When a newer version replaced it, or the form was archived."
    )

    @classmethod
    def from_model(cls, row: TemplateModel) -> ConsentFormTemplateVersion:
        return cls(
            id=_id(row.id),
            form_key=_id(row.form_key),
            version=row.version,
            title=row.title,
            treatment_kind=forms.TreatmentKind(row.treatment_kind),
            purpose=forms.FormPurpose(row.purpose),
            risks_text=row.risks_text,
            questions=[
                ConsentQuestion(
                    key=str(q["key"]),
                    text=str(q["text"]),
                    kind=forms.QuestionKind(str(q["kind"])),
                    required=bool(q.get("required")),
                )
                for q in row.questions
            ],
            created_at=row.created_at,
            superseded_at=row.superseded_at,
        )


@strawberry.type(description="A consent form: its newest version and every version.")
class ConsentFormTemplate:
    form_key: strawberry.ID = strawberry.field(description="The form.")
    archived: bool = strawberry.field(description="No new forms are issued from it.")
    current: ConsentFormTemplateVersion = strawberry.field(
        description="The newest version (superseded only when archived)."
    )
    history: list[ConsentFormTemplateVersion] = strawberry.field(
        description="Every version, oldest first."
    )

    @classmethod
    def from_family(cls, family: forms.TemplateFamily) -> ConsentFormTemplate:
        return cls(
            form_key=_id(family.newest.form_key),
            archived=family.archived,
            current=ConsentFormTemplateVersion.from_model(family.newest),
            history=[
                ConsentFormTemplateVersion.from_model(r)
                for r in sorted(family.versions, key=lambda r: r.version)
            ],
        )


@strawberry.type(description="A question of the signed version with the patient's answer.")
class ConsentAnswer:
    key: str = strawberry.field(description="The question's key.")
    question: str = strawberry.field(description="The question as it was shown.")
    answer: str | None = strawberry.field(description="YES, NO or text; null when unanswered.")


@strawberry.type(description="One patient's consent form: issued, signed or voided.")
class ConsentForm(Node):
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    status: ConsentFormStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    purpose: ConsentFormPurpose = strawberry.field(description="From the template version.")  # type: ignore[valid-type]
    treatment_kind: AestheticTreatmentKind = strawberry.field(  # type: ignore[valid-type]
        description="From the template version."
    )
    template: ConsentFormTemplateVersion = strawberry.field(
        description="The exact version shown (a later edit never changes it)."
    )
    appointment_id: strawberry.ID | None = strawberry.field(description="The appointment.")
    treatment_id: strawberry.ID | None = strawberry.field(description="The treatment record.")
    created_at: datetime = strawberry.field(description="When it was issued.")
    answers: list[ConsentAnswer] = strawberry.field(description="Questions with answers.")
    signed_name: str | None = strawberry.field(description="The name the patient typed.")
    signed_at: datetime | None = strawberry.field(description="When the patient signed.")
    signed_ip: str | None = strawberry.field(description="The signing client's IP address.")
    signed_user_agent: str | None = strawberry.field(description="The signing browser.")
    signature_document_id: strawberry.ID | None = strawberry.field(
        description="The SIGNATURE document holding the drawn signature."
    )
    pdf_document_id: strawberry.ID | None = strawberry.field(
        description="The signed form as a PDF (a CONSENT_FORM document; `/documents/{id}`)."
    )
    witness_user_id: strawberry.ID | None = strawberry.field(description="The witness.")
    consent_record_id: strawberry.ID | None = strawberry.field(
        description="The TREATMENT consent ledger row recorded on signing."
    )
    content_sha256: str | None = strawberry.field(
        description="SHA-256 (hex) of the canonical JSON of the version text, answers, typed "
        "name and signing time."
    )
    voided_at: datetime | None = strawberry.field(description="When it was voided.")
    void_reason: str | None = strawberry.field(description="Why it was voided.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]
    form_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord(
            "ConsentFormInstance", self.form_uuid, self.patient_uuid, self.practice_uuid
        )

    @classmethod
    def from_view(cls, view: forms.FormView) -> ConsentForm:
        row = view.form
        answers = forms.answers_of(row)
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            status=forms.FormStatus(row.status),
            purpose=forms.FormPurpose(row.purpose),
            treatment_kind=forms.TreatmentKind(row.treatment_kind),
            template=ConsentFormTemplateVersion.from_model(view.template),
            appointment_id=_optional_id(row.appointment_id),
            treatment_id=_optional_id(row.treatment_id),
            created_at=row.created_at,
            answers=[
                ConsentAnswer(
                    key=str(q["key"]), question=str(q["text"]), answer=answers.get(str(q["key"]))
                )
                for q in view.template.questions
            ],
            signed_name=forms.signed_name_of(row),
            signed_at=row.signed_at,
            signed_ip=forms.signed_ip_of(row),
            signed_user_agent=forms.signed_user_agent_of(row),
            signature_document_id=_optional_id(row.signature_document_id),
            pdf_document_id=_optional_id(row.pdf_document_id),
            witness_user_id=_optional_id(row.witness_user_id),
            consent_record_id=_optional_id(row.consent_record_id),
            content_sha256=row.content_sha256,
            voided_at=row.voided_at,
            void_reason=forms.void_reason_of(row),
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
            form_uuid=UUID(str(row.id)),
        )


@strawberry.input(description="One question of a form version.")
class ConsentQuestionInput:
    key: str = strawberry.field(description="A lower-case key (a-z, 0-9, _), unique in the form.")
    text: str = strawberry.field(description="The question.")
    kind: ConsentQuestionKind = strawberry.field(description="YES_NO or TEXT.")  # type: ignore[valid-type]
    required: bool = strawberry.field(default=True, description="Whether it must be answered.")


@strawberry.input(description="A new consent form (version 1) for a practice.")
class CreateConsentFormTemplateInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    title: str = strawberry.field(description="The title (1-200 characters).")
    treatment_kind: AestheticTreatmentKind = strawberry.field(description="Treatment kind.")  # type: ignore[valid-type]
    purpose: ConsentFormPurpose = strawberry.field(description="Consultation or treatment.")  # type: ignore[valid-type]
    risks_text: str = strawberry.field(description="Risks and information (1-20000 characters).")
    questions: list[ConsentQuestionInput] = strawberry.field(
        default_factory=list, description="The questions, in order (at most 50)."
    )


@strawberry.input(
    description="An edit: a new version of the form; null leaves a value as it is. Forms "
    "already issued or signed keep the version they showed."
)
class EditConsentFormTemplateInput(IdFields):
    form_key: strawberry.ID = strawberry.field(description="The form key or any version's id.")
    title: str | None = strawberry.field(default=None, description="The new title.")
    treatment_kind: AestheticTreatmentKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The new treatment kind."
    )
    purpose: ConsentFormPurpose | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The new purpose."
    )
    risks_text: str | None = strawberry.field(default=None, description="The new risks text.")
    questions: list[ConsentQuestionInput] | None = strawberry.field(
        default=None, description="The new questions (replacing all of them)."
    )


@strawberry.input(description="A form to archive.")
class ArchiveConsentFormTemplateInput(IdFields):
    form_key: strawberry.ID = strawberry.field(description="The form key or any version's id.")


@strawberry.input(description="Give a patient a form to sign.")
class IssueConsentFormInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    template_id: strawberry.ID = strawberry.field(description="A current template version.")
    appointment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patient's appointment it is for."
    )
    treatment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patient's treatment record it is for."
    )


@strawberry.input(description="One answer.")
class ConsentAnswerInput:
    key: str = strawberry.field(description="The question's key.")
    answer: str = strawberry.field(description="YES or NO for a yes/no question; else text.")


@strawberry.input(description="The patient's signature on a PENDING form.")
class SignConsentFormInput(IdFields):
    id: strawberry.ID = strawberry.field(description="The form.")
    signed_name: str = strawberry.field(description="The name the patient typed.")
    signature_image: str = strawberry.field(
        description="The drawn signature, base64 of a PNG or JPEG (at most 64 KiB; the type "
        "is proven from the bytes)."
    )
    answers: list[ConsentAnswerInput] = strawberry.field(
        default_factory=list, description="Answers by question key."
    )
    witness_user_id: strawberry.ID | None = strawberry.field(
        default=None, description="A staff member of the practice; default you."
    )


@strawberry.input(description="Void a form (kept, never signed or used afterwards).")
class VoidConsentFormInput(IdFields):
    id: strawberry.ID = strawberry.field(description="The form.")
    reason: str = strawberry.field(description="Why (1-500 characters).")


@strawberry.type(description="The form after the change.")
class ConsentFormPayload:
    form: ConsentForm | None = strawberry.field(description="The form changed.")


@strawberry.type(description="The consent form template after the change.")
class ConsentFormTemplatePayload:
    template: ConsentFormTemplate | None = strawberry.field(description="The form changed.")
