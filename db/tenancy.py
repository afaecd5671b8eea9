"""Tenant identifiers as types.

Only the authentication layer mints these (from verified memberships); scoped query helpers
demand them, so a raw id from client input cannot reach a tenant filter by accident.
"""

from typing import NewType
from uuid import UUID

OrganizationId = NewType("OrganizationId", UUID)
PracticeId = NewType("PracticeId", UUID)

__all__ = ["OrganizationId", "PracticeId"]
