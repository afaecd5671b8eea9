"""Consent form queries and mutations: parse ids, call one service, map back.

Every form a query returns is put in the request's read trail (entity ``ConsentFormInstance``)
by ``AuditReads`` with the fields selected. Templates are a practice's standard wording, not
patient data, and are not read-audited.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.consent_forms import (
    ArchiveConsentFormTemplateInput,
    ConsentForm,
    ConsentFormPayload,
    ConsentFormTemplate,
    ConsentFormTemplatePayload,
    ConsentQuestionInput,
    CreateConsentFormTemplateInput,
    EditConsentFormTemplateInput,
    IssueConsentFormInput,
    SignConsentFormInput,
    VoidConsentFormInput,
)
from services.aesthetics import consent_forms as forms
from services.policy import Scope


def _questions(given: list[ConsentQuestionInput] | None) -> list[forms.Question] | None:
    if given is None:
        return None
    return [
        forms.Question(
            key=q.key, text=q.text, kind=forms.QuestionKind(str(q.kind)), required=q.required
        )
        for q in given
    ]


def _template(family: forms.TemplateFamily) -> ConsentFormTemplatePayload:
    return ConsentFormTemplatePayload(template=ConsentFormTemplate.from_family(family))


def _form(view: forms.FormView) -> ConsentFormPayload:
    return ConsentFormPayload(form=ConsentForm.from_view(view))


@strawberry.type
class ConsentFormQueries:
    @strawberry.field(
        description="A practice's consent forms at their newest version, each with its "
        "version history (clinical:read in the practice).",
        extensions=[*requires(Scope.CLINICAL_READ)],
    )
    async def consent_form_templates(
        self,
        info: Info,
        practice_id: strawberry.ID,
        include_archived: Annotated[
            bool, strawberry.argument(description="Also archived forms.")
        ] = False,
    ) -> list[ConsentFormTemplate] | None:
        found = await forms.templates(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            include_archived=include_archived,
        )
        return [ConsentFormTemplate.from_family(f) for f in found]

    @strawberry.field(
        description="A patient's consent forms, newest first (clinical:read in the patient's "
        "practice; a patient their own). Each form read is audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def consent_forms(
        self, info: Info, patient_id: strawberry.ID
    ) -> list[ConsentForm] | None:
        found = await forms.forms_of(
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
        )
        return [ConsentForm.from_view(v) for v in found]

    @strawberry.field(
        description="One consent form, showing the exact template version it was issued "
        "with (clinical:read; a patient their own). Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def consent_form(self, info: Info, id: strawberry.ID) -> ConsentForm | None:
        return ConsentForm.from_view(
            await forms.form(info.context.principal, form_id=id_argument(id=id))
        )


@strawberry.type
class ConsentFormMutations:
    @strawberry.mutation(description="Create a consent form (version 1) (clinical:write).")
    async def create_consent_form_template(
        self, info: Info, input: CreateConsentFormTemplateInput
    ) -> ConsentFormTemplatePayload | None:
        return _template(
            await forms.create_template(
                info.context.principal,
                practice_id=input.ids.practice_id,
                draft=forms.TemplateDraft(
                    title=input.title,
                    treatment_kind=forms.TreatmentKind(str(input.treatment_kind)),
                    purpose=forms.FormPurpose(str(input.purpose)),
                    risks_text=input.risks_text,
                    questions=_questions(input.questions),
                ),
            )
        )

    @strawberry.mutation(
        description="Edit a consent form: inserts the next version and marks the previous "
        "one superseded; issued and signed forms keep their version (clinical:write)."
    )
    async def edit_consent_form_template(
        self, info: Info, input: EditConsentFormTemplateInput
    ) -> ConsentFormTemplatePayload | None:
        return _template(
            await forms.edit_template(
                info.context.principal,
                key_or_id=input.ids.form_key,
                draft=forms.TemplateDraft(
                    title=input.title,
                    treatment_kind=None
                    if input.treatment_kind is None
                    else forms.TreatmentKind(str(input.treatment_kind)),
                    purpose=None
                    if input.purpose is None
                    else forms.FormPurpose(str(input.purpose)),
                    risks_text=input.risks_text,
                    questions=_questions(input.questions),
                ),
            )
        )

    @strawberry.mutation(
        description="Archive a consent form: no new forms from it (clinical:write)."
    )
    async def archive_consent_form_template(
        self, info: Info, input: ArchiveConsentFormTemplateInput
    ) -> ConsentFormTemplatePayload | None:
        return _template(
            await forms.archive_template(info.context.principal, key_or_id=input.ids.form_key)
        )

    @strawberry.mutation(
        description="Issue a PENDING consent form to a patient from a current template "
        "version (clinical:write)."
    )
    async def issue_consent_form(
        self, info: Info, input: IssueConsentFormInput
    ) -> ConsentFormPayload | None:
        return _form(
            await forms.issue(
                info.context.principal,
                patient_id=input.ids.patient_id,
                template_id=input.ids.template_id,
                appointment_id=input.optional_ids.appointment_id,
                treatment_id=input.optional_ids.treatment_id,
            )
        )

    @strawberry.mutation(
        description="Record the patient's signature on a PENDING form: typed name, drawn "
        "signature (a SIGNATURE document), answers, time, IP and user agent, witness, a "
        "TREATMENT consent, the SHA-256 of what was signed and the form as a PDF "
        "(a CONSENT_FORM document). Staff with clinical:write in the clinic, or the patient "
        "themselves in the portal (their own PENDING forms only, no witness)."
    )
    async def sign_consent_form(
        self, info: Info, input: SignConsentFormInput
    ) -> ConsentFormPayload | None:
        return _form(
            await forms.sign(
                info.context.principal,
                form_id=input.ids.id,
                signing=forms.Signing(
                    signed_name=input.signed_name,
                    signature_image=input.signature_image,
                    answers=[(a.key, a.answer) for a in input.answers],
                    witness_user_id=input.optional_ids.witness_user_id,
                ),
            )
        )

    @strawberry.mutation(
        description="Void a PENDING or SIGNED form with a reason; a signed form's TREATMENT "
        "consent is withdrawn (clinical:write)."
    )
    async def void_consent_form(
        self, info: Info, input: VoidConsentFormInput
    ) -> ConsentFormPayload | None:
        return _form(
            await forms.void(info.context.principal, form_id=input.ids.id, reason=input.reason)
        )
