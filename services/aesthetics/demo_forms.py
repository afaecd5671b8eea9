"""Demo consent forms for an aesthetic practice: toxin and filler consultation and treatment
templates with realistic risk wording and questions, each issued to a few patients, and some
of them signed through the real service (signature drawn here with Pillow, PDF rendered,
ledger grant and hash recorded) so ``consentForms``, the PDF download and the export show
real rows. The signed consultation forms also give the cooling-off rule something to read.
"""

from __future__ import annotations

import base64
import io
import math
import random
from datetime import date

from PIL import Image, ImageDraw

from db.models import Patient, Practice, User
from services.aesthetics import consent_forms as forms
from services.auth.principal_loader import principal_for_user
from services.principal import RequestMeta

SIGNED_PATIENTS = 4
ADULT = 18  # toxin and filler for under-18s are an offence in England


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


_SCREENING = [
    forms.Question(
        "pregnant",
        "Are you pregnant, trying to conceive or breastfeeding?",
        forms.QuestionKind.YES_NO,
    ),
    forms.Question(
        "neuromuscular",
        "Do you have a neuromuscular condition (e.g. myasthenia gravis, Lambert-Eaton syndrome)?",
        forms.QuestionKind.YES_NO,
    ),
    forms.Question(
        "infection",
        "Do you have an active skin infection in the treatment area?",
        forms.QuestionKind.YES_NO,
    ),
    forms.Question(
        "medicines",
        "List any medicines you take, including blood thinners, aspirin or supplements.",
        forms.QuestionKind.TEXT,
        required=False,
    ),
]
_FILLER_SCREENING = [
    forms.Question(
        "pregnant",
        "Are you pregnant, trying to conceive or breastfeeding?",
        forms.QuestionKind.YES_NO,
    ),
    forms.Question(
        "hyaluronic_allergy",
        "Have you ever reacted to a hyaluronic acid filler or to lidocaine?",
        forms.QuestionKind.YES_NO,
    ),
    forms.Question(
        "cold_sores",
        "Do you get cold sores (herpes simplex) around the lips?",
        forms.QuestionKind.YES_NO,
    ),
    forms.Question(
        "dental_work",
        "Have you had or are you planning dental treatment within two weeks?",
        forms.QuestionKind.YES_NO,
    ),
    forms.Question(
        "previous",
        "Previous filler: where, when and which product?",
        forms.QuestionKind.TEXT,
        required=False,
    ),
]
_UNDERSTOOD = forms.Question(
    "understood",
    "I have read the information above, had the chance to ask questions and understand the risks.",
    forms.QuestionKind.YES_NO,
)
_PHOTOS = forms.Question(
    "photos_clinical",
    "I agree to clinical photographs for my record (not for marketing).",
    forms.QuestionKind.YES_NO,
)

TOXIN_RISKS = (
    "Botulinum toxin type A is a prescription-only medicine. It relaxes the treated muscles for "
    "about three to four months. Common effects: redness, swelling, tenderness or bruising at "
    "the injection points and a mild headache for a day or two. Less common: a drooping eyelid "
    "or eyebrow, asymmetry or a heavy feeling in the forehead, which settle over weeks as the "
    "toxin wears off. Rare: allergic reaction, difficulty swallowing or breathing (seek urgent "
    "help), or no effect because of antibodies. Avoid lying flat, strenuous exercise, alcohol "
    "and rubbing the area for four hours. A review is offered at two weeks."
)
FILLER_RISKS = (
    "Hyaluronic acid dermal filler adds volume and is gradually absorbed over six to eighteen "
    "months; it can be dissolved with hyaluronidase. Common effects: swelling, bruising, "
    "tenderness and small lumps for up to two weeks. Less common: infection, cold sore "
    "reactivation, persistent nodules or asymmetry needing correction. Rare but serious: the "
    "filler blocking a blood vessel (vascular occlusion), which can damage skin and, very "
    "rarely, cause blindness; tell us at once about severe pain, whitening or mottling of the "
    "skin, or any change in vision. Avoid make-up for 12 hours and heat, saunas and flying for "
    "48 hours."
)
CONSULTATION_NOTE = (
    " This consultation consent starts the cooling-off period: treatment is not booked sooner "
    "than the practice's minimum interval after you sign."
)

TEMPLATES = (
    (
        "Botulinum toxin: consultation consent",
        forms.TreatmentKind.TOXIN,
        forms.FormPurpose.CONSULTATION,
        TOXIN_RISKS + CONSULTATION_NOTE,
        [*_SCREENING, _UNDERSTOOD],
    ),
    (
        "Botulinum toxin: treatment consent",
        forms.TreatmentKind.TOXIN,
        forms.FormPurpose.TREATMENT,
        TOXIN_RISKS,
        [*_SCREENING, _UNDERSTOOD, _PHOTOS],
    ),
    (
        "Dermal filler: consultation consent",
        forms.TreatmentKind.FILLER,
        forms.FormPurpose.CONSULTATION,
        FILLER_RISKS + CONSULTATION_NOTE,
        [*_FILLER_SCREENING, _UNDERSTOOD],
    ),
    (
        "Dermal filler: treatment consent",
        forms.TreatmentKind.FILLER,
        forms.FormPurpose.TREATMENT,
        FILLER_RISKS,
        [*_FILLER_SCREENING, _UNDERSTOOD, _PHOTOS],
    ),
)


def signature_png(name: str, rng: random.Random) -> str:
    """A scribbled signature (base64 PNG, a few KiB) drawn from the name's letters."""
    width, height = 360, 110
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    points: list[tuple[float, float]] = []
    x = 20.0
    for n, letter in enumerate(name[:24]):
        amplitude = 18 + (ord(letter) % 17) + rng.random() * 6
        for step in range(6):
            t = (n * 6 + step) / 3.0
            points.append((x, height / 2 + amplitude * math.sin(t + ord(letter) / 9)))
            x += 2.2
        if x > width - 20:
            break
    draw.line(points, fill=0, width=3)
    draw.line((30, height - 22, min(x, width - 20), height - 18), fill=0, width=2)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode()


def _answers(questions: list[forms.Question], rng: random.Random) -> list[tuple[str, str]]:
    answers: list[tuple[str, str]] = []
    for q in questions:
        if q.kind is forms.QuestionKind.TEXT:
            if rng.random() < 0.5:
                answers.append((q.key, rng.choice(("None", "Levothyroxine 50 mcg", "Vitamin D"))))
        elif q.key in ("understood", "photos_clinical"):
            answers.append((q.key, "YES"))
        else:
            answers.append((q.key, "NO"))
    return answers


async def seed_forms(
    practice: Practice, patients: list[Patient], clinician_user: User, rng: random.Random
) -> int:
    """The four templates, a PENDING form for some patients and signed consultation (and
    treatment) forms for the first few; returns how many forms were signed."""
    principal = await principal_for_user(
        clinician_user,
        mfa_passed=True,
        claims={},
        meta=RequestMeta(ip="10.0.0.17", user_agent="AES CRM demo tablet"),
    )
    made: list[tuple[forms.TemplateFamily, list[forms.Question]]] = []
    for title, kind, purpose, risks, questions in TEMPLATES:
        family = await forms.create_template(
            principal,
            practice_id=practice.id,
            draft=forms.TemplateDraft(
                title=title,
                treatment_kind=kind,
                purpose=purpose,
                risks_text=risks,
                questions=questions,
            ),
        )
        made.append((family, questions))
    signed = 0
    today = date.today()
    adults = [p for p in patients if _age(p.date_of_birth, today) >= ADULT]  # never a minor
    for n, patient in enumerate(adults[: SIGNED_PATIENTS + 2]):
        consultation, treatment = (made[0], made[1]) if n % 2 == 0 else (made[2], made[3])
        name = f"{patient.first_name} {patient.last_name}"
        form = await forms.issue(
            principal, patient_id=patient.id, template_id=consultation[0].newest.id
        )
        if n >= SIGNED_PATIENTS:
            continue  # left PENDING for the demo user to sign
        await forms.sign(
            principal,
            form_id=form.form.id,
            signing=forms.Signing(
                signed_name=name,
                signature_image=signature_png(name, rng),
                answers=_answers(consultation[1], rng),
            ),
        )
        signed += 1
        if n == 0:
            day_of = await forms.issue(
                principal, patient_id=patient.id, template_id=treatment[0].newest.id
            )
            await forms.sign(
                principal,
                form_id=day_of.form.id,
                signing=forms.Signing(
                    signed_name=name,
                    signature_image=signature_png(name, rng),
                    answers=_answers(treatment[1], rng),
                ),
            )
            signed += 1
    return signed


__all__ = ["seed_forms", "signature_png"]
