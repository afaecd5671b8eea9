"""Counts across every organisation, for the system owner: how big each client is and how much
it uses the service. Counts only: no row of a patient, no amount of money, no name but the
organisation's own. Three statements whatever the number of organisations and practices: the
time zones practices keep, the organisations' sizes, and their activity per bucket (each
practice's buckets by its own zone, joined on the zone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.queries.report_sql import Statement, identifier

# Roles held by people who work for a client (not its patients, partners or the platform).
STAFF_ROLES = ("ORG_ADMIN", "PRACTICE_ADMIN", "DENTIST", "HYGIENIST", "RECEPTIONIST")


async def zones() -> list[str]:
    sql = Statement()
    rows = await sql.rows("SELECT DISTINCT timezone AS tz FROM practice ORDER BY timezone")
    return [str(r["tz"]) for r in rows]


@dataclass(frozen=True, slots=True)
class OrganisationSize:
    organization_id: UUID
    name: str
    practices: int
    active_staff: int
    patients: int


async def sizes() -> list[OrganisationSize]:
    """Every organisation by name: its practices, its active staff accounts (a user with a
    staff role in it or in one of its practices, active and not deleted, counted once) and its
    patient records (merged duplicates left out)."""
    sql = Statement()
    roles = sql.within("m.role", STAFF_ROLES)
    statement = f"""
    SELECT o.id AS id, o.name AS name,
      (SELECT COUNT(*) FROM practice p WHERE p.organization_id = o.id) AS practices,
      (SELECT COUNT(DISTINCT m.user_id) FROM membership m
        JOIN app_user u ON u.id = m.user_id
        LEFT JOIN practice mp ON mp.id = m.practice_id
        WHERE (m.organization_id = o.id OR mp.organization_id = o.id) AND {roles}
          AND u.is_active AND u.deleted_at IS NULL) AS staff,
      (SELECT COUNT(*) FROM patient pt JOIN practice pp ON pp.id = pt.practice_id
        WHERE pp.organization_id = o.id AND pt.status <> 'MERGED') AS patients
    FROM organization o
    ORDER BY o.name, o.id
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        OrganisationSize(
            identifier(r["id"]),
            str(r["name"]),
            int(r["practices"]),
            int(r["staff"]),
            int(r["patients"]),
        )
        for r in await sql.rows(statement)
    ]


@dataclass(frozen=True, slots=True)
class UsageRow:
    organization_id: UUID
    bucket: int
    appointments: int
    invoices: int


async def usage(buckets: Sequence[tuple[str, int, datetime, datetime]]) -> list[UsageRow]:
    """Per organisation and bucket ``i`` (the instants [s, e) of local days in zone ``z``):
    appointments starting in it, whatever became of them, and invoices issued in it (credit
    notes and drafts left out). One statement."""
    if not buckets:
        return []
    sql = Statement()
    ts = "timestamptz"
    values = ", ".join(
        f"({sql.param(z, cast='text')}, {sql.param(i, cast='int')}, {sql.param(s, cast=ts)}, "
        f"{sql.param(e, cast=ts)})"
        for z, i, s, e in buckets
    )
    statement = f"""
    WITH z(tz, i, s, e) AS (VALUES {values})
    SELECT x.o AS organization_id, x.i AS i, SUM(x.a) AS appointments, SUM(x.n) AS invoices
    FROM (
      SELECT p.organization_id AS o, z.i AS i, COUNT(a.id) AS a, 0 AS n
      FROM z JOIN practice p ON p.timezone = z.tz
      JOIN appointment a ON a.practice_id = p.id AND a.starts_at >= z.s AND a.starts_at < z.e
      GROUP BY p.organization_id, z.i
      UNION ALL
      SELECT p.organization_id, z.i, 0, COUNT(v.id)
      FROM z JOIN practice p ON p.timezone = z.tz
      JOIN invoice v ON v.practice_id = p.id AND v.kind = 'INVOICE'
        AND v.issued_at >= z.s AND v.issued_at < z.e
      GROUP BY p.organization_id, z.i
    ) x
    GROUP BY x.o, x.i
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        UsageRow(
            identifier(r["organization_id"]),
            int(r["i"]),
            int(r["appointments"] or 0),
            int(r["invoices"] or 0),
        )
        for r in await sql.rows(statement)
    ]
