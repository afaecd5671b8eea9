"""Reads of the demo organization that ``make run`` seeds, for its welcome banner.

The banner acts as the operator (no principal): the demo organization is found by its slug, its
accounts by their email domain, and the one practice-data read takes that practice's id first.
"""

from __future__ import annotations

from datetime import datetime

from db.models import Appointment, Membership, Organization, Practice
from db.tenancy import PracticeId


async def seeded(slug: str) -> bool:
    return await Organization.exists(slug=slug)


async def practices(slug: str) -> list[Practice]:
    return await Practice.filter(organization__slug=slug).order_by("name")


async def first_booking_from(practice_id: PracticeId, since: datetime) -> Appointment | None:
    return (
        await Appointment.filter(practice_id=practice_id, starts_at__gte=since)
        .order_by("starts_at")
        .first()
    )


async def memberships_of_domain(domain: str) -> list[Membership]:
    """Memberships of the accounts whose email ends in ``@domain``, with their users."""
    return list(await Membership.filter(user__email__endswith=f"@{domain}").select_related("user"))
