"""The demo fee seeding runs through the real services and leaves usable rows."""

from __future__ import annotations

import random
from datetime import date

from db.models import NhsCourse, PatientMembership
from db.tenancy import PracticeId
from services.billing import fees
from services.billing.demo_fees import seed_fees
from services.clinical import catalogue
from services.policy import Role
from tests import factories


async def test_seed_fees(db: str) -> None:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    patients = [await factories.patient(practice) for _ in range(10)]
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    seeded = await seed_fees(practice, patients, receptionist, random.Random(7))
    assert (seeded.schedules, seeded.members, seeded.nhs_courses) == (2, 6, 4)
    today = date.today()
    pid = PracticeId(practice.id)
    now = await fees.price_of(pid, procedure_code="EXAM", on=today)
    before = await fees.price_of(pid, procedure_code="EXAM", on=date(today.year - 1, 3, 1))
    assert (now.unit.minor, before.unit.minor) == (5500, 5280)
    assert await PatientMembership.filter(practice_id=practice.id).count() == 6
    bands = sorted(
        b
        for b in await NhsCourse.filter(practice_id=practice.id).values_list("band", flat=True)
        if b
    )
    assert bands == ["BAND_1", "BAND_2B", "URGENT"]
