"""The actor an event records is display-safe: staff by id and role, others by kind only."""

from __future__ import annotations

from uuid import uuid4

from services import actors
from services.policy import Role
from services.principal import Principal


def test_staff_are_named_by_id_and_role() -> None:
    user_id = uuid4()
    staff = Principal(user_id=user_id, roles=frozenset({Role.RECEPTIONIST}))
    assert actors.of(staff) == {"kind": "STAFF", "user_id": str(user_id), "role": "RECEPTIONIST"}


def test_patients_partners_and_the_system_carry_no_identity() -> None:
    patient = Principal(
        user_id=uuid4(), roles=frozenset({Role.PATIENT}), patient_ids=frozenset({uuid4()})
    )
    partner = Principal(client_id="partner-app", roles=frozenset({Role.PARTNER}))
    assert actors.of(patient) == {"kind": "PATIENT"}
    assert actors.of(partner) == {"kind": "PARTNER"}
    assert actors.of(None) == {"kind": "SYSTEM"}
    assert actors.of(Principal()) == {"kind": "SYSTEM"}
