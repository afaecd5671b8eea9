"""Practitioners' professional registrations (GMC, NMC, GDC, GPhC): number, expiry and whether
they carry prescribing rights.

Practice administrators keep them (``practice:write``, like the rest of a practitioner's
profile: the same people who make a staff member bookable). A registration is never deleted:
revoking it keeps the row (``revoked_at``) for the record; recording the same body again later
reuses that row. Every change is audited and announced to open boards as a SETUP_CHANGED
(REGISTRATION) event, because it changes who may be booked for treatments that need one
(``booking_rules.Registration``).

Numbers are checked per body: GMC and GPhC 7 digits, NMC two digits, a letter, four digits and
a letter (12A3456E), GDC digits. A new registration already expired is refused.
"""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from db.models import Practitioner, ProfessionalRegistration
from db.queries import registrations as queries
from db.tenancy import PracticeId
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.scheduling import diary_access, rules, setup
from services.scheduling.kinds import RegistrationBody
from services.scheduling.resources import row_in

SCOPE = Scope.PRACTICE_WRITE
NUMBER_FORMATS = {
    RegistrationBody.GMC: (re.compile(r"^\d{7}$"), "7 digits"),
    RegistrationBody.NMC: (re.compile(r"^\d{2}[A-Z]\d{4}[A-Z]$"), "like 12A3456E"),
    RegistrationBody.GDC: (re.compile(r"^\d{1,8}$"), "up to 8 digits"),
    RegistrationBody.GPHC: (re.compile(r"^\d{7}$"), "7 digits"),
}


def body_of(value: str) -> RegistrationBody:
    if value not in RegistrationBody.__members__:
        raise ValidationFailed("Body is GMC, NMC, GDC or GPHC.", field="body")
    return RegistrationBody(value)


def clean_number(body: RegistrationBody, value: str) -> str:
    number = re.sub(r"[\s-]", "", value).upper()
    pattern, shape = NUMBER_FORMATS[body]
    if not pattern.match(number):
        raise ValidationFailed(f"A {body.value} number is {shape}.", field="number")
    return number


async def _today(pid: PracticeId) -> date:
    diary = await diary_access.diary_of(pid)
    return rules.utcnow().astimezone(diary.zone).date()


async def _registration(pid: PracticeId, registration_id: UUID) -> ProfessionalRegistration:
    found = await queries.registration(pid, registration_id)
    if found is None:
        raise NotFound("Registration")
    return found


async def record(
    principal: Principal,
    *,
    practice_id: UUID,
    practitioner_id: UUID,
    body: str,
    number: str,
    expires_on: date,
    prescriber: bool,
) -> ProfessionalRegistration:
    pid = diary_access.staff_practice(principal, practice_id, SCOPE)
    regulator = body_of(body)
    values: dict[str, object] = {
        "number": clean_number(regulator, number),
        "expires_on": expires_on,
        "prescriber": prescriber,
        "revoked_at": None,
        "recorded_by_user_id": principal.user_id,
    }
    person = await row_in(Practitioner, pid, practitioner_id, "Practitioner")
    if expires_on < await _today(pid):
        raise ValidationFailed("This registration has already expired.", field="expiresOn")
    existing = await queries.for_body(pid, UUID(str(person.id)), regulator.value)
    if existing is not None and existing.revoked_at is None:
        raise Conflict(
            f"This practitioner's {regulator.value} registration is already recorded; update it.",
            field="body",
        )
    row = existing or ProfessionalRegistration(
        practice_id=pid, practitioner_id=person.id, body=regulator.value, **values
    )
    try:
        await setup.save(
            principal,
            pid,
            row,
            "RECORD_REGISTRATION",
            values=values if existing is not None else None,
        )
    except Conflict:  # recorded meanwhile by someone else
        raise Conflict(
            f"This practitioner's {regulator.value} registration is already recorded.",
            field="body",
        ) from None
    return row


async def update(
    principal: Principal,
    *,
    practice_id: UUID,
    registration_id: UUID,
    number: str,
    expires_on: date,
    prescriber: bool,
) -> ProfessionalRegistration:
    """Replaces number, expiry and prescribing rights (an expiry in the past records a lapse)."""
    pid = diary_access.staff_practice(principal, practice_id, SCOPE)
    row = await _registration(pid, registration_id)
    if row.revoked_at is not None:
        raise Conflict("This registration was revoked; record it again instead.", field="id")
    values: dict[str, object] = {
        "number": clean_number(RegistrationBody(row.body), number),
        "expires_on": expires_on,
        "prescriber": prescriber,
    }
    await setup.save(principal, pid, row, "UPDATE_REGISTRATION", values=values)
    return row


async def revoke(
    principal: Principal, *, practice_id: UUID, registration_id: UUID
) -> ProfessionalRegistration:
    """From now on the registration no longer counts (idempotent)."""
    pid = diary_access.staff_practice(principal, practice_id, SCOPE)
    row = await _registration(pid, registration_id)
    if row.revoked_at is not None:
        return row
    values: dict[str, object] = {"revoked_at": rules.utcnow()}
    await setup.save(principal, pid, row, "REVOKE_REGISTRATION", values=values)
    return row
