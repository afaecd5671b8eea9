"""A small hand-made ledger for the money reports, over Monday 23 March to Sunday 5 April 2026
in London (two ISO weeks; the clocks go forward on Sunday 29 March at 01:00 UTC). Rows are
written with the models at chosen times (the billing services stamp "now"); every figure the
tests expect is worked out here, by hand, next to the rows that make it.

Practice A (practitioners: the dentist "D" and a hygienist "H"):

  Invoices (issued; I0 and the old ones before the period, I-late after it):
    I1  £200.00  issued Mon 23 Mar 10:00, due 23 Mar   paid £100.00 (£120 less a £20 refund)
    I2  £150.00  issued Wed 25 Mar 09:00, due 25 Mar   paid £100.00, credited £50.00 → PAID
    I3  £100.00  issued Mon 30 Mar 00:20 BST (Sun 29th 23:20 UTC), due 30 Mar  paid £80.00
    C1  credit note £50.00 against I2, issued Thu 2 Apr 10:00
    I0  £40.00   issued Sun 22 Mar 23:59 (the day before the period), due 22 Mar, unpaid
    Old: £70.00 due 20 Jan, £30.00 due 20 Feb, £15.00 due 1 Dec 2025, £6.00 due 6 Mar,
         £7.00 due 5 Mar (all unpaid), and £99.00 paid in full (due 1 Feb)
    I-late £99.99 issued Fri 10 Apr (after the period), unpaid; a DRAFT of £999.00

  Payments (SUCCEEDED unless said):
    Pay1 £120.00 CARD  D     Tue 24 Mar 14:00
    Pay2 £100.00 CASH  none  Fri 27 Mar 16:00
    Pay3  £80.00 CARD  H     Mon 30 Mar 00:30 BST = Sun 29 Mar 23:30 UTC → the SECOND week
    R1    £20.00 CARD  D     Wed 1 Apr 12:00, refunding Pay1
    £500.00 CARD FAILED Tue 24 Mar, £300.00 CARD PENDING Tue 24 Mar: never counted
  Deposits (payments of kind DEPOSIT):
    D0  £25.00 CARD  D  received Fri 20 Mar, APPLIED Wed 25 Mar 11:00
    D1  £50.00 CARD  D  received Thu 26 Mar 10:00, FORFEITED Tue 31 Mar 09:00 (a DNA)
    D2  £30.01 CASH  D  received Wed 1 Apr 10:00, still HELD

  Takings               week 1 (23-29 Mar)      week 2 (30 Mar-5 Apr)    period
    received            270.00 (Pay1,Pay2,D1)   110.01 (Pay3, D2)        380.01
    refunded              0                      20.00 (R1)               20.00
    net                 270.00                   90.01                    360.01
    payments / refunds  3 / 0                    2 / 1                    5 / 1
    average (net ÷ n)    90.00                   45.005 → 45.01           72.0020 → 72.00
    CARD                170.00 (2)               received 80.00 (1), refunded 20.00 (1)
    CASH                100.00 (1)               30.01 (1)
    D                   170.00 (2)               received 30.01 (1), refunded 20.00 (1)
    H                     —                      80.00 (1)
    none                100.00 (1)               —

  Invoiced vs taken     week 1                  week 2                   period
    invoiced (count)    350.00 (2: I1, I2)      100.00 (1: I3)           450.00 (3)
    credited (count)      0                      50.00 (1: C1)            50.00 (1)
    net invoiced        350.00                   50.00                   400.00
    net taken           270.00                   90.01                   360.01
    difference           80.00                  -40.01                    39.99

  Aged debt as of Sun 5 Apr (0-30: due on/after 6 Mar; 31-60: from 4 Feb; 61-90: from 5 Jan):
    0-30   I0 40.00 + I1 100.00 + I3 20.00 + 6.00 (due 6 Mar)  = 166.00
    31-60  30.00 (20 Feb) + 7.00 (5 Mar)                        =  37.00
    61-90  70.00 (20 Jan)                                       =  70.00
    90+    15.00 (1 Dec)                                        =  15.00
    total 288.00 on 8 open invoices (I2 and the £99 are PAID; I-late was issued after)

  Deposits              week 1                  week 2                   period
    held at start       1 / 25.00 (D0)
    taken               1 / 50.00 (D1)          1 / 30.01 (D2)           2 / 80.01
    applied             1 / 25.00 (D0)          0                        1 / 25.00
    forfeited           0                       1 / 50.00 (D1)           1 / 50.00
    held at end         1 / 50.00 (D1)          1 / 30.01 (D2)           1 / 30.01

  Treatment plans (value = sum of item fees):
    PL1 v1  Tue 24 Mar, 100.00 + 50.00, accepted 25 Mar, completed 2 Apr
    PL2 v1  Thu 26 Mar, 200.00, declined 27 Mar, superseded 1 Apr
    PL2 v2  Wed 1 Apr, 120.00, accepted 2 Apr
    PL3     Sat 28 Mar, no items: not a proposal
    PL4     Tue 31 Mar, 80.00 + 20.00, not answered
    PL0     Sun 22 Mar (before the period), accepted
                        week 1                  week 2                   period
    proposed            2 / 350.00              2 / 220.00               4 / 570.00
    accepted            1 / 150.00              1 / 120.00               2 / 270.00
    completed           1 / 150.00              0                        1 / 150.00
    declined            1 / 200.00              0                        1 / 200.00
    rate (count/value)  0.5 / 0.4286            0.5 / 0.5455             0.5 / 0.4737

  Memberships (plans Essentials £15.00 and Family £25.00 a month):
    M1 Essentials 1 Jan-        M2 Essentials 1 Feb-25 Mar    M3 Family 29 Mar-
    M4 Essentials 30 Mar-5 Apr  M5 Family from 6 Apr (after)  M6 Family 1 Jun 2025-22 Mar
    in force on 22 Mar: Essentials 2 (M1, M2)
                        week 1                  week 2                   period
    Essentials          left 1, active 1, 15.00 joined 1, left 1, 1, 15.00   j1 l2, 1, 15.00
    Family              joined 1, 1, 25.00      active 1, 25.00          j1 l0, 1, 25.00
    all (GBP)           j1 l1, 2, 40.00         j1 l1, 2, 40.00          j2 l2, 2, 40.00

Practice B (same organisation): Pay £50.00 CASH by its dentist Tue 24 Mar 12:00; an invoice
of £50.00 issued Tue 24 Mar, PAID; £25.00 unpaid due 1 Mar (31-60 on 5 Apr); a deposit
£10.00 HELD since Tue 24 Mar; a plan of £30.00 proposed Wed 25 Mar and accepted; a member of
its own "Essentials" (£18.00) since 1 Mar.

The other organisation's practice has one of everything, large, that must never show.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from db.models import (
    Invoice,
    MembershipPlan,
    Patient,
    PatientMembership,
    Payment,
    Practitioner,
    ProcedureItem,
    TreatmentPlan,
    TreatmentPlanItem,
)
from services.policy import Role
from tests import factories
from tests.reports.report_support import Group, group, local
from tests.scheduling_fixtures import Diary, practitioner

_numbers = itertools.count(1)


def utc(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A London wall-clock time as the UTC instant the rows store."""
    return local(year, month, day, hour, minute).astimezone(UTC)


async def invoice(
    where: Diary,
    patient: Patient,
    total: int,
    issued: datetime | None,
    *,
    due: date | None = None,
    paid: int = 0,
    credited: int = 0,
    status: str | None = None,
    kind: str = "INVOICE",
    credits: UUID | None = None,
) -> Invoice:
    n = next(_numbers)
    owed = total - paid - credited
    found = status or ("PAID" if owed == 0 else "PARTIALLY_PAID" if paid else "ISSUED")
    return await Invoice.create(
        id=uuid4(),
        practice_id=where.practice.id,
        patient_id=patient.id,
        kind=kind,
        status="DRAFT" if issued is None else found,
        number=None if issued is None else f"R-{n}",
        sequence_number=None if issued is None else n,
        credits_invoice_id=credits,
        net_minor=total,
        total_minor=total,
        paid_minor=paid,
        credited_minor=credited,
        tax_point=None if issued is None else issued.date(),
        due_on=due,
        issued_at=issued,
    )


async def payment(
    where: Diary,
    patient: Patient,
    amount: int,
    method: str,
    at: datetime,
    *,
    who: Practitioner | None = None,
    kind: str = "PAYMENT",
    status: str = "SUCCEEDED",
    **values: Any,
) -> Payment:
    return await Payment.create(
        practice_id=where.practice.id,
        patient_id=patient.id,
        kind=kind,
        method=method,
        status=status,
        amount_minor=amount,
        practitioner_id=None if who is None else who.id,
        received_at=at,
        **values,
    )


async def plan(
    where: Diary,
    procedure: ProcedureItem,
    created: datetime,
    fees: list[int],
    **values: Any,
) -> TreatmentPlan:
    plan_id = values.pop("plan_id", None) or uuid4()
    version = await TreatmentPlan.create(
        practice_id=where.practice.id,
        patient_id=where.patient.id,
        plan_id=plan_id,
        created_at=created,
        **values,
    )
    for n, fee in enumerate(fees):
        await TreatmentPlanItem.create(
            practice_id=where.practice.id,
            patient_id=where.patient.id,
            plan_version_id=version.id,
            position=n,
            procedure_id=procedure.id,
            code=procedure.code,
            fee_pence=fee,
        )
    return version


async def member(
    where: Diary, plan_: MembershipPlan, started: date, ended: date | None = None
) -> PatientMembership:
    patient = await factories.patient(where.practice)
    return await PatientMembership.create(
        practice_id=where.practice.id,
        patient_id=patient.id,
        plan_id=plan_.id,
        status="ACTIVE" if ended is None else "ENDED",
        started_on=started,
        ended_on=ended,
    )


@dataclass
class Ledger:
    group: Group
    hygienist: Practitioner
    essentials: MembershipPlan
    family: MembershipPlan
    b_essentials: MembershipPlan


async def _practice_a(g: Group) -> tuple[Practitioner, MembershipPlan, MembershipPlan]:
    a = g.a
    p1 = a.patient
    p2 = await factories.patient(a.practice)
    hygienist = await practitioner(a.practice, a.room, Role.HYGIENIST)
    d = a.dentist
    # Invoices
    i2 = await invoice(
        a, p2, 15000, utc(2026, 3, 25, 9), due=date(2026, 3, 25), paid=10000, credited=5000
    )
    await invoice(a, p1, 20000, utc(2026, 3, 23, 10), due=date(2026, 3, 23), paid=10000)
    await invoice(a, p1, 10000, utc(2026, 3, 30, 0, 20), due=date(2026, 3, 30), paid=8000)
    await invoice(
        a, p2, 5000, utc(2026, 4, 2, 10), kind="CREDIT_NOTE", status="ISSUED", credits=i2.id
    )
    await invoice(a, p1, 4000, utc(2026, 3, 22, 23, 59), due=date(2026, 3, 22))
    for total, due in (
        (7000, date(2026, 1, 20)),
        (3000, date(2026, 2, 20)),
        (1500, date(2025, 12, 1)),
        (600, date(2026, 3, 6)),
        (700, date(2026, 3, 5)),
    ):
        await invoice(a, p2, total, datetime(due.year, due.month, due.day, 9, tzinfo=UTC), due=due)
    await invoice(a, p2, 9900, utc(2026, 1, 22), due=date(2026, 2, 1), paid=9900)
    await invoice(a, p1, 9999, utc(2026, 4, 10), due=date(2026, 4, 10))
    await invoice(a, p1, 99900, None)
    # Payments, a refund, attempts that never succeeded
    pay1 = await payment(a, p1, 12000, "CARD", utc(2026, 3, 24, 14), who=d)
    await payment(a, p2, 10000, "CASH", utc(2026, 3, 27, 16))
    await payment(a, p1, 8000, "CARD", utc(2026, 3, 30, 0, 30), who=hygienist)
    await payment(
        a, p1, 2000, "CARD", utc(2026, 4, 1, 12), who=d, kind="REFUND", refunds_payment_id=pay1.id
    )
    await payment(a, p1, 50000, "CARD", utc(2026, 3, 24, 15), who=d, status="FAILED")
    await payment(a, p1, 30000, "CARD", utc(2026, 3, 24, 15), who=d, status="PENDING")
    # Deposits
    await payment(
        a,
        p1,
        2500,
        "CARD",
        utc(2026, 3, 20, 10),
        who=d,
        kind="DEPOSIT",
        deposit_state="APPLIED",
        deposit_settled_at=utc(2026, 3, 25, 11),
    )
    await payment(
        a,
        p2,
        5000,
        "CARD",
        utc(2026, 3, 26, 10),
        who=d,
        kind="DEPOSIT",
        deposit_state="FORFEITED",
        deposit_settled_at=utc(2026, 3, 31, 9),
    )
    await payment(
        a,
        p1,
        3001,
        "CASH",
        utc(2026, 4, 1, 10),
        who=d,
        kind="DEPOSIT",
        deposit_state="HELD",
        unallocated_minor=3001,
    )
    # Treatment plans
    exam = await ProcedureItem.create(
        practice_id=a.practice.id, code="RPT", name="Report item", tooth_scope="NONE"
    )
    await plan(
        a,
        exam,
        utc(2026, 3, 24, 10),
        [10000, 5000],
        status="COMPLETED",
        accepted_at=utc(2026, 3, 25),
        completed_at=utc(2026, 4, 2),
    )
    declined = await plan(
        a,
        exam,
        utc(2026, 3, 26, 10),
        [20000],
        status="SUPERSEDED",
        declined_at=utc(2026, 3, 27),
        superseded_at=utc(2026, 4, 1),
    )
    await plan(
        a,
        exam,
        utc(2026, 4, 1, 11),
        [12000],
        status="ACCEPTED",
        version=2,
        plan_id=declined.plan_id,
        accepted_at=utc(2026, 4, 2),
    )
    await plan(a, exam, utc(2026, 3, 28, 10), [], status="PROPOSED")
    await plan(a, exam, utc(2026, 3, 31, 10), [8000, 2000], status="PROPOSED")
    await plan(
        a, exam, utc(2026, 3, 22, 10), [40000], status="ACCEPTED", accepted_at=utc(2026, 3, 22, 11)
    )
    # Memberships
    essentials = await MembershipPlan.create(
        practice_id=a.practice.id, name="Essentials", monthly_fee_minor=1500
    )
    family = await MembershipPlan.create(
        practice_id=a.practice.id, name="Family", monthly_fee_minor=2500
    )
    await member(a, essentials, date(2026, 1, 1))
    await member(a, essentials, date(2026, 2, 1), date(2026, 3, 25))
    await member(a, family, date(2026, 3, 29))
    await member(a, essentials, date(2026, 3, 30), date(2026, 4, 5))
    await member(a, family, date(2026, 4, 6))
    await member(a, family, date(2025, 6, 1), date(2026, 3, 22))
    return hygienist, essentials, family


async def _practice_b(where: Diary, amount: int = 1) -> MembershipPlan:
    """Practice B's small ledger; ``amount`` scales it (the other organisation's is huge)."""
    p = where.patient
    await payment(where, p, 5000 * amount, "CASH", utc(2026, 3, 24, 12), who=where.dentist)
    await invoice(
        where, p, 5000 * amount, utc(2026, 3, 24, 11), due=date(2026, 3, 24), paid=5000 * amount
    )
    await invoice(where, p, 2500 * amount, utc(2026, 3, 1, 9), due=date(2026, 3, 1))
    await payment(
        where,
        p,
        1000 * amount,
        "CARD",
        utc(2026, 3, 24, 12),
        kind="DEPOSIT",
        deposit_state="HELD",
        unallocated_minor=1000 * amount,
    )
    item = await ProcedureItem.create(
        practice_id=where.practice.id, code="RPT", name="Report item", tooth_scope="NONE"
    )
    await plan(
        where,
        item,
        utc(2026, 3, 25, 10),
        [3000 * amount],
        status="ACCEPTED",
        accepted_at=utc(2026, 3, 26),
    )
    essentials = await MembershipPlan.create(
        practice_id=where.practice.id, name="Essentials", monthly_fee_minor=1800 * amount
    )
    await member(where, essentials, date(2026, 3, 1))
    return essentials


async def ledger() -> Ledger:
    g = await group()
    hygienist, essentials, family = await _practice_a(g)
    b_essentials = await _practice_b(g.b)
    await _practice_b(g.other, amount=97)
    return Ledger(g, hygienist, essentials, family, b_essentials)
