"""The aesthetic half of the demo, for the practice that offers it: stock and booking rules go in
with the rest of the practice's rows; consent forms and photos go through the real services
(signatures, PDFs, uploads) after the demo's transaction has committed."""

from __future__ import annotations

import random

from db.models import Patient, Practice, User
from services.aesthetics import (
    demo_forms,
    demo_injectables,
    demo_photos,
    demo_rules,
    demo_stock,
)


async def seed_rows(
    practice: Practice, patients: list[Patient], clinician: User, rng: random.Random
) -> None:
    """Inside the demo's transaction: products, batches and movements; aesthetic appointment
    types with cooling-off; the clinician's professional registration."""
    await demo_stock.seed_stock(practice, patients, clinician, rng)
    await demo_rules.seed_rules(practice, patients, clinician, rng)


async def seed_through_services(
    practice: Practice, patients: list[Patient], clinician: User, rng: random.Random
) -> None:
    """After the commit: signed consent forms (with PDFs), injectable treatments on face maps
    (with their consultations and prescriptions, using stock), and before/after photo series."""
    await demo_forms.seed_forms(practice, patients, clinician, rng)
    await demo_injectables.seed_injectables(practice, patients, clinician, rng)
    await demo_photos.seed_photos(practice, patients, clinician, rng)
