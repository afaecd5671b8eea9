"""Patient search: one box that understands names, dates of birth, numbers and identifiers.

The term is classified, never interpolated: names become folded prefix tokens (LIKE wildcards
are escaped by the ORM), identifiers become blind indexes, so nothing is decrypted to search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from db.models import Patient
from db.queries import patients as queries
from db.queries.patients import PatientFilter
from services import tenant_gate, visibility
from services.errors import ValidationFailed
from services.names import fold
from services.patients import patient_access
from services.patients.fields import blind_index
from services.patients.validation import nhs_number_is_valid
from services.principal import Principal

MAX_TERM = 200
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


@dataclass(frozen=True, slots=True)
class Page:
    patients: list[Patient]
    has_next: bool


def _as_date(term: str) -> date | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(term, pattern).date()
        except ValueError:
            continue
    return None


def criteria(term: str | None) -> PatientFilter | None:
    """The filter for a search term; None when the term can match nothing (e.g. a NUL byte)."""
    if term is None or not term.strip():
        return PatientFilter()
    term = term.strip()
    if len(term) > MAX_TERM:
        raise ValidationFailed(f"'search' is longer than {MAX_TERM} characters.", field="search")
    if "\x00" in term:  # no stored name can contain NUL (PostgreSQL text cannot)
        return None
    if "@" in term:
        return PatientFilter(email_index=blind_index("email", term))
    born = _as_date(term)
    if born is not None:
        return PatientFilter(date_of_birth=born)
    compact = re.sub(r"[\s\-()]", "", term)
    if re.fullmatch(r"\+?\d+", compact):
        return _number(compact)
    return PatientFilter(name_tokens=tuple(fold(term).split()))


def _number(digits: str) -> PatientFilter | None:
    if len(digits) <= 9 and digits.isdigit() and not digits.startswith("0"):
        return PatientFilter(patient_number=int(digits))
    indexes: dict[str, str] = {}
    if nhs_number_is_valid(digits):
        indexes["nhs_number_index"] = blind_index("nhs_number", digits)
    if len(digits.lstrip("+")) >= 10:
        indexes["mobile_index"] = blind_index("phone", digits)
    return PatientFilter(identifier_indexes=indexes) if indexes else None


async def search_patients(
    principal: Principal,
    *,
    practice_id: UUID,
    search: str | None,
    first: int,
    after: UUID | None,
) -> Page:
    allowed = patient_access.readable_practices(principal)
    pid = tenant_gate.practice_among(allowed, practice_id)
    where = criteria(search)
    if where is None:
        return Page([], has_next=False)
    only = await visibility.visible_in(principal, pid)
    if only is not None:  # patients: their own records; partners: consented, unrestricted
        where = replace(where, only_ids=only)
    position = None
    if after is not None:
        position = await queries.position(allowed, pid, after)
        if position is None:
            raise ValidationFailed("'after' is not a valid cursor.", field="after")
    rows = await queries.search(allowed, pid, where, after=position, limit=first + 1)
    return Page(rows[:first], has_next=len(rows) > first)
