"""Fee schedules through GraphQL: dated, never overlapping, fees per procedure and per product
unit with their VAT category, ``price_of`` answering for a day, and refusals that change
nothing."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import uuid4

import httpx
import pytest

from db.models import AuditEvent, DomainEvent, FeeSchedule, Practice, Product, ScheduleFee
from db.tenancy import PracticeId
from services.billing import fees
from services.billing.money import Money
from services.billing.vat import VatCategory
from services.clinical import catalogue
from services.errors import NotFound
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql

SCHEDULE = """id name currency validFrom validTo
  fees { procedureCode productId vatCategory unitPrice { amount currency formatted } }"""
CREATE = f"""mutation C($input: CreateFeeScheduleInput!) {{
  createFeeSchedule(input: $input) {{ schedule {{ {SCHEDULE} }} }} }}"""
SET = f"""mutation S($input: SetFeesInput!) {{
  setFees(input: $input) {{ schedule {{ {SCHEDULE} }} }} }}"""
CLOSE = f"""mutation X($input: CloseFeeScheduleInput!) {{
  closeFeeSchedule(input: $input) {{ schedule {{ {SCHEDULE} }} }} }}"""
LIST = f"query L($p: ID!) {{ feeSchedules(practiceId: $p) {{ {SCHEDULE} }} }}"
ONE = f"query O($id: ID!) {{ feeSchedule(id: $id) {{ {SCHEDULE} }} }}"


async def _world() -> tuple[Practice, str, str, Product]:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    dentist = await factories.user(Role.DENTIST, practice)
    product = await Product.create(
        id=uuid4(),
        organization_id=practice.organization_id,
        name="Botulinum toxin A 100u",
        brand="Azzalure",
        kind="TOXIN",
        unit="UNITS",
    )
    return (
        practice,
        factories.access_token(receptionist),
        factories.access_token(dentist),
        product,
    )


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def _ok(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> dict[str, Any]:
    result = await _do(client, doc, token, **values)
    assert result.errors == [], result.errors
    schedule: dict[str, Any] = next(iter(result.data.values()))["schedule"]
    return schedule


def _field(result: GraphQLResult) -> str | None:
    return result.errors[0].get("extensions", {}).get("field")


async def test_a_schedule_prices_procedures_and_product_units_for_its_days(
    client: httpx.AsyncClient,
) -> None:
    practice, token, dentist, product = await _world()
    created = await _ok(
        client,
        CREATE,
        token,
        practiceId=str(practice.id),
        name="Private 2026",
        validFrom="2026-01-01",
    )
    assert (created["validFrom"], created["validTo"], created["fees"]) == ("2026-01-01", None, [])
    updated = await _ok(
        client,
        SET,
        token,
        scheduleId=created["id"],
        fees=[
            {"procedureCode": "exam", "unitAmount": 6000},
            {"procedureCode": "CR-EMAX", "unitAmount": 80000},
            {"productId": str(product.id), "unitAmount": 950},
        ],
    )
    by = {(f["procedureCode"], f["productId"]): f for f in updated["fees"]}
    assert by[("EXAM", None)]["unitPrice"] == {
        "amount": 6000,
        "currency": "GBP",
        "formatted": "£60.00",
    }
    assert by[("EXAM", None)]["vatCategory"] == "EXEMPT"
    assert by[(None, str(product.id))]["vatCategory"] == "STANDARD"
    # Setting again replaces (no duplicate rows).
    await _ok(
        client,
        SET,
        token,
        scheduleId=created["id"],
        fees=[{"procedureCode": "EXAM", "unitAmount": 6500}],
    )
    assert await ScheduleFee.filter(schedule_id=created["id"]).count() == 3

    pid = PracticeId(practice.id)
    price = await fees.price_of(pid, procedure_code="EXAM", on=date(2026, 3, 1))
    assert price == fees.Price(Money(6500), VatCategory.EXEMPT)
    unit = await fees.price_of(pid, product_id=product.id, on=date(2026, 3, 1))
    assert unit == fees.Price(Money(950), VatCategory.STANDARD)
    with pytest.raises(NotFound):
        await fees.price_of(pid, procedure_code="EXAM", on=date(2025, 12, 31))
    with pytest.raises(NotFound):
        await fees.price_of(pid, procedure_code="IMP", on=date(2026, 3, 1))

    # Clinicians read the price list.
    listed = await gql(client, LIST, {"p": str(practice.id)}, token=dentist)
    assert [s["id"] for s in listed.data["feeSchedules"]] == [created["id"]]
    one = await gql(client, ONE, {"id": created["id"]}, token=dentist)
    assert len(one.data["feeSchedule"]["fees"]) == 3

    assert await AuditEvent.filter(entity_type="FeeSchedule").count() == 3
    events = await DomainEvent.filter(topic="billing", type="FEE_SCHEDULE_CHANGED").count()
    assert events == 3


async def test_schedules_never_overlap_and_a_price_change_is_a_new_schedule(
    client: httpx.AsyncClient,
) -> None:
    practice, token, _, _ = await _world()
    first = await _ok(
        client, CREATE, token, practiceId=str(practice.id), name="2025", validFrom="2025-01-01"
    )
    await _ok(
        client,
        SET,
        token,
        scheduleId=first["id"],
        fees=[{"procedureCode": "EXAM", "unitAmount": 5500}],
    )
    clash = await _do(
        client, CREATE, token, practiceId=str(practice.id), name="2026", validFrom="2026-01-01"
    )
    assert clash.codes == ["CONFLICT"]
    assert _field(clash) == "validFrom"
    closed = await _ok(client, CLOSE, token, scheduleId=first["id"], lastDay="2025-12-31")
    assert closed["validTo"] == "2025-12-31"
    lengthen = await _do(client, CLOSE, token, scheduleId=first["id"], lastDay="2026-06-30")
    assert lengthen.codes == ["CONFLICT"]
    second = await _ok(
        client, CREATE, token, practiceId=str(practice.id), name="2026", validFrom="2026-01-01"
    )
    await _ok(
        client,
        SET,
        token,
        scheduleId=second["id"],
        fees=[{"procedureCode": "EXAM", "unitAmount": 6000}],
    )
    pid = PracticeId(practice.id)
    assert (await fees.price_of(pid, procedure_code="EXAM", on=date(2025, 12, 31))).unit == Money(
        5500
    )
    assert (await fees.price_of(pid, procedure_code="EXAM", on=date(2026, 1, 1))).unit == Money(
        6000
    )
    # An ended schedule is history.
    history = await _do(
        client,
        SET,
        token,
        scheduleId=first["id"],
        fees=[{"procedureCode": "EXAM", "unitAmount": 1}],
    )
    assert history.codes == ["CONFLICT"]
    assert (await fees.price_of(pid, procedure_code="EXAM", on=date(2025, 6, 1))).unit == Money(
        5500
    )
    inside = await _do(
        client,
        CREATE,
        token,
        practiceId=str(practice.id),
        name="mid",
        validFrom="2025-06-01",
        validTo="2025-06-30",
    )
    assert inside.codes == ["CONFLICT"]
    assert await FeeSchedule.filter(practice_id=practice.id).count() == 2


@pytest.mark.parametrize(
    ("fee", "field"),
    [
        ({"procedureCode": "EXAM", "unitAmount": -1}, "unitAmount"),
        ({"procedureCode": "NOPE", "unitAmount": 100}, "procedureCode"),
        ({"unitAmount": 100}, "fees"),
        ({"productId": str(uuid4()), "unitAmount": 100}, "productId"),
        ({"productId": "not-an-id", "unitAmount": 100}, "productId"),
    ],
)
async def test_bad_fees_change_nothing(
    client: httpx.AsyncClient, fee: dict[str, Any], field: str
) -> None:
    practice, token, _, _ = await _world()
    created = await _ok(
        client, CREATE, token, practiceId=str(practice.id), name="P", validFrom="2026-01-01"
    )
    result = await _do(
        client,
        SET,
        token,
        scheduleId=created["id"],
        fees=[{"procedureCode": "FV", "unitAmount": 100}, fee],
    )
    assert result.codes == ["BAD_USER_INPUT"]
    assert _field(result) == field
    assert await ScheduleFee.filter(schedule_id=created["id"]).count() == 0


async def test_bad_schedule_input_and_permissions(client: httpx.AsyncClient) -> None:
    practice, token, dentist, _ = await _world()
    backwards = await _do(
        client,
        CREATE,
        token,
        practiceId=str(practice.id),
        name="P",
        validFrom="2026-02-01",
        validTo="2026-01-01",
    )
    assert (backwards.codes, _field(backwards)) == (["BAD_USER_INPUT"], "validTo")
    denied = await _do(
        client, CREATE, dentist, practiceId=str(practice.id), name="P", validFrom="2026-01-01"
    )
    assert denied.codes == ["FORBIDDEN"]
    other = await factories.practice()
    foreign = await _do(
        client, CREATE, token, practiceId=str(other.id), name="P", validFrom="2026-01-01"
    )
    assert foreign.codes == ["NOT_FOUND"]
    missing = await gql(client, ONE, {"id": str(uuid4())}, token=token)
    assert missing.codes == ["NOT_FOUND"]
    assert await FeeSchedule.all().count() == 0


async def test_concurrent_overlapping_schedules_one_wins(client: httpx.AsyncClient) -> None:
    practice, token, _, _ = await _world()
    results = await asyncio.gather(
        *(
            _do(
                client,
                CREATE,
                token,
                practiceId=str(practice.id),
                name=f"Race {n}",
                validFrom=f"2026-0{n + 1}-01",
            )
            for n in range(5)
        )
    )
    assert sorted(tuple(r.codes) for r in results) == [()] + [("CONFLICT",)] * 4
    assert await FeeSchedule.filter(practice_id=practice.id).count() == 1
