"""What happens to each patient-linked table when its record class may go.

Every patient-linked table (see ``registry``) has a category here; a test fails for a new one
until someone decides. Evidence of lawful processing and the audit log are never erased.
Anonymised records keep sex, year of birth and appointment rows so statistics stay valid.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from uuid import UUID

from tortoise import fields as tfields
from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import ContactPreference, Patient
from db.models.privacy import RecordClass
from db.queries import contact_preferences, guardians, portal_accounts, users
from db.queries import documents as document_queries
from db.queries import patient_links as linked
from db.queries import photo_series as photo_series_queries
from services.billing import retention as billing_retention
from services.consent.registry import Link, patient_links
from services.names import search_key
from services.policy import Role
from services.tenant_gate import practice_of

ANONYMISED = "Anonymised"


class Category(StrEnum):
    ACCOUNT_CONTACT = RecordClass.ACCOUNT_CONTACT.value
    CLINICAL = RecordClass.CLINICAL.value
    FINANCIAL = RecordClass.FINANCIAL.value
    EVIDENCE = "EVIDENCE"  # consent ledger, restrictions, requests, holds: kept as proof
    AUDIT = RecordClass.AUDIT.value


TABLE_CATEGORY: dict[str, Category] = {
    "patient": Category.CLINICAL,  # the identity of the clinical record; contact split out
    "contact_preference": Category.ACCOUNT_CONTACT,
    "membership": Category.ACCOUNT_CONTACT,
    "waitlist_entry": Category.ACCOUNT_CONTACT,
    # Messages name an address and say what was sent: contact data, erased with it.
    "message": Category.ACCOUNT_CONTACT,
    "calendar_feed": Category.ACCOUNT_CONTACT,  # a portal account's feed of the record: deleted
    "patient_insurance": Category.FINANCIAL,
    "invoice": Category.FINANCIAL,  # kept 6 years; issued ones are in the ledger chain
    "invoice_line": Category.FINANCIAL,
    "payment": Category.FINANCIAL,
    "payment_allocation": Category.FINANCIAL,
    # An NHS course is the basis of a patient charge and of the exemption claimed against it
    # (NHSBSA checks exemption evidence): an accounting record, kept and erased as one; its
    # items hold codes, teeth and ids only.
    "nhs_course": Category.FINANCIAL,
    "nhs_course_item": Category.FINANCIAL,
    "patient_membership": Category.FINANCIAL,  # what a patient was billed monthly
    "product_sale": Category.FINANCIAL,  # what was sold to whom, billed as a PRODUCT line
    "medical_history": Category.CLINICAL,
    "clinical_note": Category.CLINICAL,
    "clinical_note_amendment": Category.CLINICAL,
    "chart_entry": Category.CLINICAL,  # kept as statistics; notes and void reasons nulled
    "treatment_plan": Category.CLINICAL,  # kept as statistics; signed name and snapshot nulled
    "treatment_plan_item": Category.CLINICAL,  # codes, teeth, fees: no free text
    "document": Category.CLINICAL,  # X-rays, photos, letters: deleted, which shreds their keys
    "perio_exam": Category.CLINICAL,  # measurements only, no free text
    "bpe_record": Category.CLINICAL,
    "perio_follow_up": Category.CLINICAL,
    "injectable_treatment": Category.CLINICAL,  # kept as statistics; notes nulled
    "injection_point": Category.CLINICAL,  # products, batches, amounts, map sites: no free text
    "aesthetic_adverse_event": Category.CLINICAL,  # kept for product safety; free text nulled
    "aesthetic_consultation": Category.CLINICAL,
    "aesthetic_prescription": Category.CLINICAL,
    "photo_series": Category.CLINICAL,  # deleted with its items
    "photo_series_item": Category.CLINICAL,  # deleted before the photos it groups
    "consent_form_instance": Category.EVIDENCE,  # a signed form is proof of consent
    "appointment": Category.CLINICAL,
    "appointment_change": Category.CLINICAL,  # history: times, statuses and ids
    "appointment_resource": Category.CLINICAL,
    "schedule_block": Category.CLINICAL,  # occupancy rows: ids and times
    "recall": Category.CLINICAL,
    "recall_met": Category.CLINICAL,  # due dates met: kind, dates and a visit id only
    "patient_guardian": Category.CLINICAL,
    "consent_record": Category.EVIDENCE,
    "processing_restriction": Category.EVIDENCE,
    "data_subject_request": Category.EVIDENCE,
    "legal_hold": Category.EVIDENCE,
    "audit_event": Category.AUDIT,
    "audit_read_patient": Category.AUDIT,  # the patients an audited read showed
    "domain_event": Category.AUDIT,
}
CONTACT_COLUMNS = (
    "title",
    "preferred_name",
    "gender_identity",
    "email",
    "email_index",
    "mobile_phone",
    "mobile_index",
    "landline_phone",
    "address",
    "emergency_contact",
    "gp_details",
    "reception_notes",
)
SUPPRESSED_CHANNELS = ("email", "sms", "phone", "post", "service_messages")
# Free-text clinical records go whole (an amendment is deleted with its note, by cascade).
_DELETED_WITH_CLINICAL = frozenset(
    {
        "medical_history",
        "patient_guardian",
        "document",
        "clinical_note_amendment",
        "clinical_note",
        "photo_series_item",
        "photo_series",
    }
)


def category_of(table: str) -> Category | None:
    return TABLE_CATEGORY.get(table)


def links_in(category: Category) -> list[Link]:
    return [link for link in patient_links() if TABLE_CATEGORY.get(link.table) is category]


async def erase_contact(patient: Patient, conn: BaseDBAsyncClient) -> list[str]:
    """Contact details, preferences, portal access, waitlist places. Returns what went."""
    done = [c for c in CONTACT_COLUMNS if getattr(patient, c) is not None]
    for column in CONTACT_COLUMNS:
        setattr(patient, column, None)
    # The preferred name was folded into the search column too.
    patient.search_name = search_key(patient.first_name, patient.last_name, None)
    await patient.save(using_db=conn, update_fields=[*CONTACT_COLUMNS, "search_name"])
    await _suppress_contact(patient, conn)
    await _close_portal(patient.id, conn)
    for link in links_in(Category.ACCOUNT_CONTACT):
        if link.table not in ("membership", "contact_preference"):
            await linked.delete(link.model, link.column, patient.id, conn)
    return done


async def _suppress_contact(patient: Patient, conn: BaseDBAsyncClient) -> None:
    """The preferences are replaced by a do-not-contact row: every channel off.

    Without a row a patient accepts every channel (see ``preferences``); an erased patient must
    not become contactable again by default if someone later adds a phone number.
    """
    await contact_preferences.drop(patient.id, conn)
    await ContactPreference.create(
        practice_id=patient.practice_id,
        patient_id=patient.id,
        **dict.fromkeys(SUPPRESSED_CHANNELS, False),
        using_db=conn,
    )


async def _close_portal(patient_id: UUID, conn: BaseDBAsyncClient) -> None:
    rows = await portal_accounts.memberships(patient_id, Role.PATIENT.value, conn)
    for membership in rows:
        user_id = membership.user_id
        await membership.delete(using_db=conn)
        if not await portal_accounts.has_memberships(user_id, conn):
            user = await users.for_update(user_id, conn)
            user.email = f"erased-{user.id}@invalid"
            user.full_name = ANONYMISED
            user.password_hash = "!"  # noqa: S105 - matches no password: the account is closed
            user.mfa_secret = None  # type: ignore[assignment]
            user.is_active = False
            user.deleted_at = datetime.now(UTC)
            user.token_version += 1
            await user.save(using_db=conn)


async def erase_financial(patient: Patient, conn: BaseDBAsyncClient) -> int:
    """Financial rows past retention; the ledger keeps a RECORDS_PURGED entry naming them."""
    await billing_retention.before_purge(patient, conn)
    removed = 0
    for link in _children_first(links_in(Category.FINANCIAL)):
        removed += await linked.delete(link.model, link.column, patient.id, conn)
    return removed


def _children_first(links: list[Link]) -> list[Link]:
    """Rows that point at other rows in ``links`` go before what they point at (RESTRICT keys:
    an invoice line before its invoice, a course item before its course)."""
    left = list(links)
    ordered: list[Link] = []
    while left:
        models = {link.model for link in left}
        free = [
            link
            for link in left
            if not any(
                other.model is not link.model
                and any(
                    getattr(other.model._meta.fields_map[name], "related_model", None) is link.model
                    for name in (*other.model._meta.fk_fields, *other.model._meta.o2o_fields)
                )
                for other in left
                if other.model in models
            )
        ]
        if not free:  # a cycle: keep the registry's order
            return ordered + left
        ordered += free
        left = [link for link in left if link not in free]
    return ordered


def _free_text(model: type) -> list[str]:
    meta = model._meta  # type: ignore[attr-defined]
    return [
        name
        for name, field in meta.fields_map.items()
        if isinstance(field, tfields.TextField) and field.null
    ]


async def anonymise_clinical(patient: Patient, conn: BaseDBAsyncClient) -> list[str]:
    """The record becomes an anonymous statistic: no name, no identifiers, no free text.

    Photo series (and their items, which name documents) are deleted before the documents.
    Documents are deleted with their rows, and with them the only copy of each file's key, so
    the sealed blobs are unreadable from the commit on; returns the blob names, which the caller
    removes from the store once the transaction has committed (``library.discard``).
    """
    blobs = await document_queries.blob_keys(practice_of(patient), patient.id, conn)
    patient.first_name = ANONYMISED
    patient.last_name = f"Patient {patient.patient_number}"
    patient.search_name = "anonymised patient"
    patient.date_of_birth = date(patient.date_of_birth.year, 7, 1)
    for column in ("nhs_number", "nhs_number_index", "clinical_notes"):
        setattr(patient, column, None)  # nullable columns typed as str by the ORM stubs
    patient.preferred_practitioner_id = None
    await patient.save(using_db=conn)
    await guardians.drop_as_guardian(practice_of(patient), patient.id, conn)
    # Photo series items name their documents (RESTRICT): they go first, then their series.
    await photo_series_queries.delete_for_patient(practice_of(patient), patient.id, conn)
    for link in links_in(Category.CLINICAL):
        if link.table == "patient":
            continue
        if link.table in _DELETED_WITH_CLINICAL:
            await linked.delete(link.model, link.column, patient.id, conn)
        elif text := _free_text(link.model):
            await linked.blank(link.model, link.column, patient.id, text, conn)
    return blobs


def is_anonymised(patient: Patient) -> bool:
    return patient.first_name == ANONYMISED


def contact_erased(patient: Patient) -> bool:
    return all(getattr(patient, c) is None for c in CONTACT_COLUMNS)
