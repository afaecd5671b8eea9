"""Roles, scopes and the one table that joins them.

Permissions are data: ``ROLE_SCOPES`` is what the ``roles`` query shows an admin, what the
``@requires`` directive checks against, and what the permission-matrix tests are generated from.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SYSTEM_OWNER = "SYSTEM_OWNER"
    ORG_ADMIN = "ORG_ADMIN"
    PRACTICE_ADMIN = "PRACTICE_ADMIN"
    DENTIST = "DENTIST"
    HYGIENIST = "HYGIENIST"
    RECEPTIONIST = "RECEPTIONIST"
    PATIENT = "PATIENT"
    PARTNER = "PARTNER"


class Scope(StrEnum):
    ORGANIZATION_ADMIN = "organization:admin"
    PRACTICE_READ = "practice:read"
    PRACTICE_WRITE = "practice:write"
    STAFF_ADMIN = "staff:admin"
    PATIENT_READ = "patient:read"
    PATIENT_WRITE = "patient:write"
    CLINICAL_READ = "clinical:read"
    CLINICAL_WRITE = "clinical:write"
    BILLING_READ = "billing:read"
    BILLING_WRITE = "billing:write"
    SCHEDULE_READ = "schedule:read"
    SCHEDULE_WRITE = "schedule:write"
    # Portal self-service: book online types into free slots, cancel one's own bookings.
    SCHEDULE_BOOK_OWN = "schedule:book_own"
    CONSENT_WRITE = "consent:write"
    # Place and lift legal holds (retention and erasure wait while one is in force).
    LEGAL_HOLD_WRITE = "legal_hold:write"
    AUDIT_READ = "audit:read"
    # A patient record's access log: a practice's with audit:read, a patient their own.
    ACCESS_LOG_READ = "access_log:read"
    REPORTS_READ = "reports:read"
    # Aesthetic products, batches and stock movements (no patient data; recalls need more).
    STOCK_READ = "stock:read"
    STOCK_WRITE = "stock:write"
    # Register partner apps' webhook endpoints and read their delivery logs (organisation-wide).
    WEBHOOK_ADMIN = "webhook:admin"
    # Register, rotate, narrow, suspend and delete the organisation's partner apps (OAuth clients).
    PARTNER_ADMIN = "partner:admin"

    @property
    def enum_name(self) -> str:
        """The GraphQL enum spelling (``CLINICAL_READ``) used in ``@requires``."""
        return self.name


S = Scope

_FRONT_DESK = frozenset(
    {
        S.PRACTICE_READ,
        S.PATIENT_READ,
        S.PATIENT_WRITE,
        S.SCHEDULE_READ,
        S.SCHEDULE_WRITE,
        S.BILLING_READ,
        S.BILLING_WRITE,
        S.CONSENT_WRITE,
    }
)
_CLINICIAN = frozenset(
    {
        S.PRACTICE_READ,
        S.PATIENT_READ,
        S.PATIENT_WRITE,
        S.CLINICAL_READ,
        S.CLINICAL_WRITE,
        S.SCHEDULE_READ,
        S.SCHEDULE_WRITE,
        S.CONSENT_WRITE,
        S.BILLING_READ,
        S.STOCK_READ,
        S.STOCK_WRITE,
    }
)

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    # Runs the platform for many client organizations; reads no patient data.
    Role.SYSTEM_OWNER: frozenset({S.ORGANIZATION_ADMIN, S.PRACTICE_READ, S.PRACTICE_WRITE}),
    Role.ORG_ADMIN: frozenset(
        {
            S.PRACTICE_READ,
            S.PRACTICE_WRITE,
            S.STAFF_ADMIN,
            S.PATIENT_READ,
            S.SCHEDULE_READ,
            S.BILLING_READ,
            S.AUDIT_READ,
            S.ACCESS_LOG_READ,
            S.REPORTS_READ,
            S.LEGAL_HOLD_WRITE,
            S.STOCK_READ,
            S.WEBHOOK_ADMIN,
            S.PARTNER_ADMIN,
        }
    ),
    # Front desk plus running the practice: staff, settings, audit and reports; no clinical.
    Role.PRACTICE_ADMIN: _FRONT_DESK
    | {
        S.PRACTICE_WRITE,
        S.STAFF_ADMIN,
        S.AUDIT_READ,
        S.ACCESS_LOG_READ,
        S.REPORTS_READ,
        S.LEGAL_HOLD_WRITE,
        S.STOCK_READ,
        S.STOCK_WRITE,
    },
    Role.DENTIST: _CLINICIAN,
    Role.HYGIENIST: _CLINICIAN,
    Role.RECEPTIONIST: _FRONT_DESK,
    # A patient reads their own record only; row scoping narrows these to one patient.
    Role.PATIENT: frozenset(
        {
            S.PATIENT_READ,
            S.CLINICAL_READ,
            S.SCHEDULE_READ,
            S.SCHEDULE_BOOK_OWN,
            S.CONSENT_WRITE,
            S.ACCESS_LOG_READ,
            # Their own account (balance, statement) in the portal.
            S.BILLING_READ,
        }
    ),
    # Partners get only what their client registration grants (never more than this ceiling).
    # billing:read reaches a patient's account, invoices and account events only while the
    # patient shares data with that client (``services.visibility``); never billing:write.
    Role.PARTNER: frozenset(
        {
            S.PRACTICE_READ,
            S.PATIENT_READ,
            S.SCHEDULE_READ,
            S.SCHEDULE_WRITE,
            S.CLINICAL_READ,
            S.BILLING_READ,
        }
    ),
}

# Scopes whose holders must pass multi-factor authentication before using them.
MFA_REQUIRED_SCOPES = frozenset(
    {
        S.CLINICAL_READ,
        S.CLINICAL_WRITE,
        S.BILLING_WRITE,
        S.STAFF_ADMIN,
        S.ORGANIZATION_ADMIN,
        S.WEBHOOK_ADMIN,
        S.PARTNER_ADMIN,
    }
)


def scopes_for(roles: frozenset[Role] | set[Role]) -> frozenset[Scope]:
    granted: set[Scope] = set()
    for role in roles:
        granted |= ROLE_SCOPES[role]
    return frozenset(granted)


def requires_mfa(roles: frozenset[Role] | set[Role]) -> bool:
    return any(
        ROLE_SCOPES[role] & MFA_REQUIRED_SCOPES for role in roles if role is not Role.PATIENT
    )
