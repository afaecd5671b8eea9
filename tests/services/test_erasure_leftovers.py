"""After erasure nothing of the erased contact data lingers: not in the search column, not as
"allowed by default" preferences, not in SQLite's write-ahead log."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.models import ContactPreference, Patient
from db.models.privacy import RequestKind
from services.consent import erasure, preferences, requests
from services.consent.contact import Channel, ContactPurpose, can_contact
from services.names import search_key
from services.policy import Role
from tests import factories
from tests.services.test_consent_ledger import staff

NAME = "Zebedee"


async def _erased(**overrides: object) -> Patient:
    practice = await factories.practice()
    patient = await factories.patient(
        practice,
        first_name="Alice",
        last_name="Smith",
        preferred_name=NAME,
        search_name=search_key("Alice", "Smith", NAME),  # as records.create_patient writes it
        email="v1.k.abc",
        mobile_phone="v1.k.def",
        **overrides,
    )
    assert NAME.casefold() in patient.search_name
    await ContactPreference.create(practice_id=practice.id, patient_id=patient.id, sms=False)
    admin = await staff(practice, Role.PRACTICE_ADMIN)
    request = await requests.receive(
        admin, patient_id=patient.id, kind=RequestKind.ERASURE, received_at=None
    )
    verdicts = {v.category: v.action for v in await erasure.erase(admin, request_id=request.id)}
    assert verdicts["ACCOUNT_CONTACT"] == "ERASED"
    return await Patient.get(id=patient.id)


async def test_the_erased_preferred_name_leaves_the_search_column(db: str) -> None:
    patient = await _erased()
    assert patient.preferred_name is None
    assert NAME.casefold() not in patient.search_name
    assert patient.search_name == search_key(patient.first_name, patient.last_name, None)


async def test_an_erased_patient_is_not_contactable_by_default(db: str) -> None:
    patient = await _erased()
    prefs = await preferences.load(patient.id)
    assert prefs == preferences.Preferences(
        email=False, sms=False, phone=False, post=False, service_messages=False
    )
    # Even if someone types contact details in again later, no channel opens by itself.
    patient.email, patient.mobile_phone, patient.address = "v1.k.x", "v1.k.y", "v1.k.z"
    await patient.save()
    decisions = [
        await can_contact(patient, channel, purpose)
        for channel in Channel
        for purpose in ContactPurpose
    ]
    assert [d.allowed for d in decisions] == [False] * len(decisions)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_erasure_leaves_nothing_in_the_sqlite_write_ahead_log(db: str) -> None:
    main = Path(db.removeprefix("sqlite://").split("?")[0])
    wal = main.with_name(main.name + "-wal")
    practice = await factories.practice()
    patient = await factories.patient(practice, preferred_name=NAME)
    before = _bytes(wal)
    assert NAME.encode() in before  # just written: the page is in the log

    await _erase(practice, patient)

    after = _bytes(wal)
    for needle in (NAME.encode(), NAME.casefold().encode()):
        assert needle not in after
        assert needle not in _bytes(main)


def _bytes(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


async def _erase(practice: object, patient: Patient) -> None:
    admin = await staff(practice, Role.PRACTICE_ADMIN)  # type: ignore[arg-type]
    request = await requests.receive(
        admin, patient_id=patient.id, kind=RequestKind.ERASURE, received_at=None
    )
    await erasure.erase(admin, request_id=request.id)
