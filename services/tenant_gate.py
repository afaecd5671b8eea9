"""The one place a raw id becomes a tenant id (``PracticeId`` / ``OrganizationId``).

A tenant id is proof that an id was checked. It is minted here only: from the caller's verified
memberships (``practice_for``, ``practice_among``, ``organization_among``), from a row that a
tenant-scoped query returned (``practice_of``, ``organization_of``), from a membership row
read at sign-in (``held_practice``, ``held_organization``), or from the operator on the server
(``operator_practice``). The query helpers in ``db/queries`` demand tenant ids, so client input
reaches a tenant filter only through this module; ``tests/test_architecture.py`` keeps it the
only module that mints them.

"Not yours" and "does not exist" are the same ``NOT_FOUND`` so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol
from uuid import UUID

from db.tenancy import OrganizationId, PracticeId
from services.errors import NotFound
from services.policy import Scope
from services.principal import Principal


class InPractice(Protocol):
    """A row that belongs to one practice (``practice_id`` as the ORM hands it back)."""

    @property
    def practice_id(self) -> Any: ...


class InOrganization(Protocol):
    @property
    def organization_id(self) -> Any: ...


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def practice_for(
    principal: Principal, practice_id: UUID | str, scope: Scope, *, patients_too: bool = False
) -> PracticeId:
    """The practice if the caller holds ``scope`` there; patients only where a read is narrowed
    to their own records (``patients_too``). Anything else is ``NOT_FOUND("Practice")``."""
    pid = PracticeId(_uuid(practice_id))
    if (principal.is_patient and not patients_too) or not principal.has_scope(scope, pid):
        raise NotFound("Practice")
    if principal.organization_of(pid) is None:
        raise NotFound("Practice")
    return pid


def practices_for(
    principal: Principal, scope: Scope, *, patients_too: bool = False
) -> frozenset[PracticeId]:
    """Every practice :func:`practice_for` would let through for ``scope``: for reads by id
    that do not name the practice (``nodes``)."""
    if principal.is_patient and not patients_too:
        return frozenset()
    return frozenset(
        p
        for p in principal.practice_ids
        if principal.has_scope(scope, p) and principal.organization_of(p) is not None
    )


def practice_among(allowed: Collection[PracticeId], practice_id: UUID | str) -> PracticeId:
    """The practice if it is one of ``allowed`` (practices already derived from the principal)."""
    pid = PracticeId(_uuid(practice_id))
    if pid not in allowed:
        raise NotFound("Practice")
    return pid


def organization_among(
    allowed: Collection[OrganizationId], organization_id: UUID | str
) -> OrganizationId:
    oid = OrganizationId(_uuid(organization_id))
    if oid not in allowed:
        raise NotFound("Organization")
    return oid


def practice_of(row: InPractice) -> PracticeId:
    """The practice of a row that a tenant-scoped query (or a checked write) produced."""
    return PracticeId(_uuid(row.practice_id))


def organization_of(row: InOrganization) -> OrganizationId:
    """The organisation of a practice (or other row) read through a tenant-scoped query."""
    return OrganizationId(_uuid(row.organization_id))


def held_practice(value: object) -> PracticeId:
    """A practice named by a verified membership row (sign-in and token loading only)."""
    return PracticeId(_uuid(value))


def held_organization(value: object) -> OrganizationId:
    """An organisation named by a verified membership row (sign-in and token loading only)."""
    return OrganizationId(_uuid(value))


def operator_practice(value: object) -> PracticeId:
    """A practice named by the operator on the server (CLI commands, ``make run``'s banner).

    The operator holds the database itself, so there is no membership to check it against.
    Never for an id that arrived in a request.
    """
    return PracticeId(_uuid(value))


__all__ = [
    "InOrganization",
    "InPractice",
    "held_organization",
    "held_practice",
    "operator_practice",
    "organization_among",
    "organization_of",
    "practice_among",
    "practice_for",
    "practice_of",
]
