"""Aesthetic stock through GraphQL on both backends: products per organisation, receiving
batches (with their RECEIVED movement, audit row and event in one unit of work), waste, returns
and adjustments that never take stock below zero (25 concurrent takers of the last 10 units),
quarantine blocking use from the next request on, expired batches refused, low stock and
expiring batches, and refusals that change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from db.models import AuditEvent, Batch, DomainEvent, Practice, StockMovement
from db.queries import aesthetic_stock as stock_queries
from db.uow import unit_of_work
from services import tenant_gate
from services.aesthetics import stock_ledger
from services.aesthetics.stock_ledger import Move, MovementKind
from services.errors import Conflict
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql

PRODUCT_FIELDS = "id name brand kind unit prescriptionOnly reorderLevel archived"
BATCH_FIELDS = f"""id lotNumber expiresOn unit quantityReceived onHand supplier receivedOn
  receivedByUserId expired quarantined quarantinedAt quarantineReason quarantinedByUserId usable
  product {{ {PRODUCT_FIELDS} }}"""
CREATE = f"""mutation C($input: CreateProductInput!) {{ createProduct(input: $input) {{
  product {{ {PRODUCT_FIELDS} }} changedFields }} }}"""
UPDATE = f"""mutation U($input: UpdateProductInput!) {{ updateProduct(input: $input) {{
  product {{ {PRODUCT_FIELDS} }} changedFields }} }}"""
RECEIVE = f"""mutation R($input: ReceiveBatchInput!) {{ receiveBatch(input: $input) {{
  batch {{ {BATCH_FIELDS} }} }} }}"""
MOVE = f"""mutation M($input: RecordStockMovementInput!) {{ recordStockMovement(input: $input) {{
  movement {{ id kind quantity reason recordedByUserId occurredAt }} batch {{ {BATCH_FIELDS} }}
}} }}"""
QUARANTINE = """mutation Q($input: QuarantineBatchInput!) { quarantineBatch(input: $input) {
  batch { id quarantined quarantineReason quarantinedByUserId usable } } }"""
RELEASE = """mutation L($input: ReleaseBatchInput!) { releaseBatch(input: $input) {
  batch { id quarantined quarantineReason usable } } }"""
PRODUCTS = """query P($p: ID!, $all: Boolean!, $first: Int, $after: String) {
  products(practiceId: $p, includeArchived: $all, first: $first, after: $after) {
    edges { node { id name archived } } pageInfo { hasNextPage endCursor } } }"""
BATCHES = """query B($p: ID!, $product: ID, $empty: Boolean!, $first: Int, $after: String) {
  batches(practiceId: $p, productId: $product, includeEmpty: $empty, first: $first,
          after: $after) {
    edges { node { id lotNumber onHand expiresOn } } pageInfo { hasNextPage endCursor } } }"""
ONE = """query O($id: ID!, $first: Int, $after: String) { batch(id: $id) { id onHand
  movements(first: $first, after: $after) { edges { node { kind quantity reason } }
    pageInfo { hasNextPage endCursor } } } }"""
LOW = """query L($p: ID!) { lowStock(practiceId: $p) {
  product { id name } onHand reorderLevel unit } }"""
EXPIRING = """query E($p: ID!, $days: Int!) { expiringBatches(practiceId: $p, withinDays: $days) {
  id lotNumber expired onHand } }"""


def _today() -> Any:
    return datetime.now(UTC).date()


def _in(days: int) -> str:
    return (_today() + timedelta(days=days)).isoformat()


async def _world() -> tuple[Practice, str, Any]:
    practice = await factories.practice()
    nurse = await factories.user(Role.DENTIST, practice)
    return practice, factories.access_token(nurse), nurse


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def _ok(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> dict[str, Any]:
    result = await _do(client, doc, token, **values)
    assert result.errors == [], result.errors
    found: dict[str, Any] = next(iter(result.data.values()))
    return found


def _refused(result: GraphQLResult, code: str, field: str | None) -> None:
    assert result.codes == [code], result.errors
    assert result.errors[0]["extensions"].get("field") == field, result.errors


async def _product(
    client: httpx.AsyncClient, practice: Practice, token: str, **values: Any
) -> dict[str, Any]:
    spec = {
        "practiceId": str(practice.id),
        "name": "Botox 100U vial",
        "brand": "Allergan",
        "kind": "TOXIN",
        "unit": "UNITS",
        "prescriptionOnly": True,
        "reorderLevel": "0",
        **values,
    }
    product: dict[str, Any] = (await _ok(client, CREATE, token, **spec))["product"]
    return product


async def _receive(
    client: httpx.AsyncClient,
    practice: Practice,
    token: str,
    product: dict[str, Any],
    **values: Any,
) -> dict[str, Any]:
    spec = {
        "practiceId": str(practice.id),
        "productId": product["id"],
        "lotNumber": f"C{uuid4().hex[:6].upper()}",
        "expiresOn": _in(180),
        "quantity": "10",
        "supplier": "Healthxchange",
        **values,
    }
    batch: dict[str, Any] = (await _ok(client, RECEIVE, token, **spec))["batch"]
    return batch


async def _counts() -> tuple[int, int, int, int]:
    """Batches, movements, stock events and stock audit rows: a refusal changes none."""
    return (
        await Batch.all().count(),
        await StockMovement.all().count(),
        await DomainEvent.filter(topic="stock").count(),
        await AuditEvent.filter(action__contains="aesthetic_").count(),
    )


async def _ledger_sum(practice: Practice, batch_id: str) -> int:
    return await stock_queries.movement_total(
        tenant_gate.operator_practice(practice.id), UUID(batch_id)
    )


async def _on_hand(batch_id: str) -> int:
    return (await Batch.get(id=batch_id)).on_hand_milli


async def _use(practice: Practice, batch_id: str, milli: int = 1000) -> None:
    """A treatment's use of the batch, as the treatment service records it."""
    async with unit_of_work() as uow:
        await stock_ledger.record(
            uow,
            tenant_gate.operator_practice(practice.id),
            UUID(batch_id),
            Move(MovementKind.USED, milli, datetime.now(UTC), None),
        )


async def test_products_belong_to_the_organisation_and_are_archived_not_deleted(
    client: httpx.AsyncClient,
) -> None:
    practice, token, _ = await _world()
    sister = await factories.practice(await practice.organization)
    sister_token = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, sister))
    product = await _product(client, practice, token, reorderLevel="20.5")
    assert product["reorderLevel"] == "20.500"
    assert (product["kind"], product["unit"], product["prescriptionOnly"]) == (
        "TOXIN",
        "UNITS",
        True,
    )
    # The sister practice of the same organisation sees (and may edit) the same catalogue.
    listed = await gql(client, PRODUCTS, {"p": str(sister.id), "all": False}, token=sister_token)
    assert [e["node"]["id"] for e in listed.data["products"]["edges"]] == [product["id"]]
    again = await _do(
        client,
        CREATE,
        sister_token,
        practiceId=str(sister.id),
        name="Botox 100U vial",
        brand="Allergan",
        kind="TOXIN",
        unit="UNITS",
    )
    _refused(again, "CONFLICT", "name")
    changed = await _ok(
        client,
        UPDATE,
        sister_token,
        practiceId=str(sister.id),
        productId=product["id"],
        reorderLevel="10",
        brand="AbbVie",
    )
    assert sorted(changed["changedFields"]) == ["brand", "reorderLevel"]
    assert changed["product"]["reorderLevel"] == "10.000"
    archived = await _ok(
        client, UPDATE, token, practiceId=str(practice.id), productId=product["id"], archived=True
    )
    assert archived["product"]["archived"] is True
    shown = await gql(client, PRODUCTS, {"p": str(practice.id), "all": False}, token=token)
    assert shown.data["products"]["edges"] == []
    shown = await gql(client, PRODUCTS, {"p": str(practice.id), "all": True}, token=token)
    assert [e["node"]["archived"] for e in shown.data["products"]["edges"]] == [True]
    # An archived product receives nothing until restored.
    refused = await _do(
        client,
        RECEIVE,
        token,
        practiceId=str(practice.id),
        productId=product["id"],
        lotNumber="A1",
        expiresOn=_in(100),
        quantity="1",
    )
    _refused(refused, "CONFLICT", "productId")
    events = await DomainEvent.filter(topic="stock", type="PRODUCT_CHANGED").count()
    assert events == 3
    assert await AuditEvent.filter(action="UPDATE aesthetic_product").count() == 2


async def test_product_input_is_checked_and_other_organisations_are_not_found(
    client: httpx.AsyncClient,
) -> None:
    practice, token, _ = await _world()
    for values, field in (
        ({"reorderLevel": "-1"}, "reorderLevel"),
        ({"reorderLevel": "1.0001"}, "reorderLevel"),
        ({"reorderLevel": "1000000"}, "reorderLevel"),
        ({"name": "  "}, "name"),
        ({"brand": "x" * 121}, "brand"),
    ):
        spec = {
            "practiceId": str(practice.id),
            "name": "Azzalure",
            "brand": "Galderma",
            "kind": "TOXIN",
            "unit": "UNITS",
            **values,
        }
        _refused(await _do(client, CREATE, token, **spec), "BAD_USER_INPUT", field)
    assert (
        await stock_queries.products(
            tenant_gate.held_organization((await practice.organization).id), include_archived=True
        )
        == []
    )
    other_practice, other_token, _ = await _world()
    theirs = await _product(client, other_practice, other_token)
    before = await _counts()
    foreign = await _do(
        client, UPDATE, token, practiceId=str(practice.id), productId=theirs["id"], name="Mine"
    )
    random = await _do(
        client, UPDATE, token, practiceId=str(practice.id), productId=str(uuid4()), name="Mine"
    )
    assert foreign.errors == random.errors
    assert foreign.codes == ["NOT_FOUND"]
    received = await _do(
        client,
        RECEIVE,
        token,
        practiceId=str(practice.id),
        productId=theirs["id"],
        lotNumber="X1",
        expiresOn=_in(100),
        quantity="1",
    )
    assert received.codes == ["NOT_FOUND"]
    assert await _counts() == before
    assert before[:2] == (0, 0)


async def test_unit_cannot_change_once_stocked(client: httpx.AsyncClient) -> None:
    practice, token, _ = await _world()
    product = await _product(
        client,
        practice,
        token,
        name="Juvederm Volbella 1 ml",
        kind="FILLER",
        unit="ML",
        prescriptionOnly=False,
    )
    await _receive(client, practice, token, product, quantity="2")
    refused = await _do(
        client, UPDATE, token, practiceId=str(practice.id), productId=product["id"], unit="UNITS"
    )
    _refused(refused, "CONFLICT", "unit")


async def test_receiving_writes_batch_movement_audit_and_event_together(
    client: httpx.AsyncClient,
) -> None:
    practice, token, nurse = await _world()
    product = await _product(client, practice, token)
    batch = await _receive(client, practice, token, product, quantity="100", lotNumber="C3456")
    assert (batch["onHand"], batch["quantityReceived"], batch["unit"]) == (
        "100.000",
        "100.000",
        "UNITS",
    )
    assert batch["usable"] is True
    assert batch["expired"] is False
    assert batch["receivedOn"] == _today().isoformat()
    assert batch["receivedByUserId"] == str(nurse.id)
    one = await gql(client, ONE, {"id": batch["id"]}, token=token)
    assert one.data["batch"]["movements"]["edges"] == [
        {"node": {"kind": "RECEIVED", "quantity": "100.000", "reason": None}}
    ]
    movement = await StockMovement.get(batch_id=batch["id"])
    assert movement.recorded_by_user_id == nurse.id
    audit = await AuditEvent.get(action="RECEIVE aesthetic_batch")
    assert (audit.entity_type, audit.entity_id) == ("Batch", batch["id"])
    event = await DomainEvent.get(topic="stock", type="BATCH_RECEIVED")
    assert str(event.entity_id) == batch["id"]
    assert event.patient_id is None
    assert event.payload["movementId"] == str(movement.id)


async def test_receiving_refusals_change_nothing(client: httpx.AsyncClient) -> None:
    practice, token, _ = await _world()
    product = await _product(client, practice, token)
    await _receive(client, practice, token, product, lotNumber="C1")
    before = await _counts()
    base = {
        "practiceId": str(practice.id),
        "productId": product["id"],
        "lotNumber": "C2",
        "expiresOn": _in(90),
        "quantity": "5",
    }
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"expiresOn": _in(-1)}, "BAD_USER_INPUT", "expiresOn"),
        ({"expiresOn": _in(365 * 20)}, "BAD_USER_INPUT", "expiresOn"),
        ({"lotNumber": "C1"}, "CONFLICT", "lotNumber"),
        ({"lotNumber": " c1 "}, "CONFLICT", "lotNumber"),  # lots are kept in capitals
        ({"lotNumber": " "}, "BAD_USER_INPUT", "lotNumber"),
        ({"quantity": "0"}, "BAD_USER_INPUT", "quantity"),
        ({"quantity": "-5"}, "BAD_USER_INPUT", "quantity"),
        ({"quantity": "0.0005"}, "BAD_USER_INPUT", "quantity"),
        ({"quantity": "100001"}, "BAD_USER_INPUT", "quantity"),
        ({"receivedOn": _in(2)}, "BAD_USER_INPUT", "receivedOn"),
        ({"productId": "not-an-id"}, "BAD_USER_INPUT", "productId"),
    ]
    for change, code, field in cases:
        _refused(await _do(client, RECEIVE, token, **{**base, **change}), code, field)
    other = await factories.practice()
    not_mine = await _do(client, RECEIVE, token, **{**base, "practiceId": str(other.id)})
    assert not_mine.codes == ["NOT_FOUND"]
    assert await _counts() == before
    # The same lot of the same product at another practice of the organisation is its own batch.
    sister = await factories.practice(await practice.organization)
    sister_token = factories.access_token(await factories.user(Role.DENTIST, sister))
    await _receive(client, sister, sister_token, product, lotNumber="C1")


async def test_waste_returns_and_adjustments_never_go_below_zero(
    client: httpx.AsyncClient,
) -> None:
    practice, token, _ = await _world()
    product = await _product(
        client,
        practice,
        token,
        name="Profhilo 2 ml",
        kind="SKIN_BOOSTER",
        unit="ML",
        prescriptionOnly=False,
    )
    batch = await _receive(client, practice, token, product, quantity="10")
    bid = batch["id"]
    _refused(
        await _do(client, MOVE, token, batchId=bid, kind="WASTED", amount="1"),
        "BAD_USER_INPUT",
        "reason",
    )
    _refused(
        await _do(client, MOVE, token, batchId=bid, kind="ADJUSTED", amount="-1"),
        "BAD_USER_INPUT",
        "reason",
    )
    _refused(
        await _do(client, MOVE, token, batchId=bid, kind="WASTED", amount="-1", reason="Dropped"),
        "BAD_USER_INPUT",
        "amount",
    )
    _refused(
        await _do(client, MOVE, token, batchId=bid, kind="RETURNED", amount="0"),
        "BAD_USER_INPUT",
        "amount",
    )
    wasted = await _ok(
        client, MOVE, token, batchId=bid, kind="WASTED", amount="2", reason="Syringe dropped"
    )
    assert wasted["movement"]["quantity"] == "-2.000"
    assert wasted["batch"]["onHand"] == "8.000"
    returned = await _ok(client, MOVE, token, batchId=bid, kind="RETURNED", amount="1")
    assert returned["batch"]["onHand"] == "7.000"
    _refused(
        await _do(
            client, MOVE, token, batchId=bid, kind="ADJUSTED", amount="-7.001", reason="Count"
        ),
        "CONFLICT",
        "amount",
    )
    # A JSON number is read as the decimal it was written as (0.1, not 0.1000000000000000055).
    as_number = await gql(
        client,
        MOVE,
        {"input": {"batchId": bid, "kind": "ADJUSTED", "amount": 0.1, "reason": "Count"}},
        token=token,
    )
    assert as_number.errors == []
    assert as_number.data["recordStockMovement"]["batch"]["onHand"] == "7.100"
    back = await _ok(
        client, MOVE, token, batchId=bid, kind="ADJUSTED", amount=-0.1, reason="Recount"
    )
    assert back["batch"]["onHand"] == "7.000"
    up = await _ok(
        client,
        MOVE,
        token,
        batchId=bid,
        kind="ADJUSTED",
        amount="0.5",
        reason="Count found half a syringe",
    )
    assert up["batch"]["onHand"] == "7.500"
    down = await _ok(
        client, MOVE, token, batchId=bid, kind="ADJUSTED", amount="-7.5", reason="Stock take"
    )
    assert down["batch"]["onHand"] == "0.000"
    assert down["batch"]["usable"] is False
    _refused(
        await _do(client, MOVE, token, batchId=bid, kind="RETURNED", amount="0.001"),
        "CONFLICT",
        "amount",
    )
    # On hand is the sum of the batch's movements.
    assert await _on_hand(bid) == await _ledger_sum(practice, bid) == 0
    assert await StockMovement.filter(batch_id=bid).count() == 7
    assert await DomainEvent.filter(topic="stock", type="STOCK_MOVED").count() == 6
    kinds = await AuditEvent.filter(entity_type="Batch").values_list("action", flat=True)
    assert sorted(kinds) == sorted(
        [
            "RECEIVE aesthetic_batch",
            "WASTED aesthetic_batch",
            "RETURNED aesthetic_batch",
            *["ADJUSTED aesthetic_batch"] * 4,
        ]
    )
    page = await gql(client, ONE, {"id": bid, "first": 2}, token=token)
    first = page.data["batch"]["movements"]
    assert [e["node"]["kind"] for e in first["edges"]] == ["RECEIVED", "WASTED"]
    rest = await gql(
        client, ONE, {"id": bid, "first": 10, "after": first["pageInfo"]["endCursor"]}, token=token
    )
    assert [e["node"]["quantity"] for e in rest.data["batch"]["movements"]["edges"]] == [
        "-1.000",
        "0.100",
        "-0.100",
        "0.500",
        "-7.500",
    ]


async def test_concurrent_uses_of_the_last_units_never_go_negative(
    client: httpx.AsyncClient,
) -> None:
    """25 takers of 1 unit each race for a batch of 10: exactly 10 win, 15 get CONFLICT."""
    practice, token, _ = await _world()
    product = await _product(client, practice, token)
    batch = await _receive(client, practice, token, product, quantity="10")
    results = await asyncio.gather(
        *(
            _do(
                client,
                MOVE,
                token,
                batchId=batch["id"],
                kind="WASTED",
                amount="1",
                reason=f"Vial {n} contaminated",
            )
            for n in range(25)
        )
    )
    codes = [r.codes for r in results]
    assert codes.count([]) == 10, codes
    assert codes.count(["CONFLICT"]) == 15, codes
    assert all(r.errors[0]["extensions"]["field"] == "amount" for r in results if r.errors)
    assert await _on_hand(batch["id"]) == 0
    assert await _ledger_sum(practice, batch["id"]) == 0
    assert await StockMovement.filter(batch_id=batch["id"], kind="WASTED").count() == 10


async def test_concurrent_treatment_uses_through_the_ledger_never_go_negative(
    client: httpx.AsyncClient,
) -> None:
    """The same race through the service a treatment uses (USED, one unit of work each)."""
    practice, token, _ = await _world()
    product = await _product(client, practice, token)
    batch = await _receive(client, practice, token, product, quantity="10")

    async def attempt() -> str | None:
        """None when the use went through, else the refused field."""
        try:
            await _use(practice, batch["id"])
        except Conflict as refused:
            return refused.field
        return None

    outcomes = await asyncio.gather(*(attempt() for _ in range(25)))
    assert outcomes.count(None) == 10
    assert outcomes.count("amount") == 15
    assert await _on_hand(batch["id"]) == 0 == await _ledger_sum(practice, batch["id"])


async def test_quarantine_blocks_use_from_the_next_request_on(client: httpx.AsyncClient) -> None:
    practice, token, _ = await _world()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    product = await _product(client, practice, token, reorderLevel="5")
    batch = await _receive(client, practice, token, product, quantity="10")
    await _use(practice, batch["id"])  # usable before
    _refused(
        await _do(client, QUARANTINE, admin, batchId=batch["id"], reason=" "),
        "BAD_USER_INPUT",
        "reason",
    )
    held = await _ok(
        client,
        QUARANTINE,
        admin,
        batchId=batch["id"],
        reason="Manufacturer field safety notice FSN-2026-14",
    )
    assert held["batch"]["quarantined"] is True
    assert held["batch"]["quarantinedByUserId"] is not None
    assert held["batch"]["usable"] is False
    with pytest.raises(Conflict) as refused:
        await _use(practice, batch["id"])
    assert refused.value.field == "batchId"
    _refused(
        await _do(client, QUARANTINE, admin, batchId=batch["id"], reason="Again"),
        "CONFLICT",
        "batchId",
    )
    # Its stock no longer counts as usable: the product is now low.
    low = await gql(client, LOW, {"p": str(practice.id)}, token=token)
    assert low.data["lowStock"] == [
        {
            "product": {"id": product["id"], "name": "Botox 100U vial"},
            "onHand": "0.000",
            "reorderLevel": "5.000",
            "unit": "UNITS",
        }
    ]
    # A quarantined lot may still go back to the supplier.
    returned = await _ok(client, MOVE, token, batchId=batch["id"], kind="RETURNED", amount="4")
    assert returned["batch"]["onHand"] == "5.000"
    released = await _ok(client, RELEASE, token, batchId=batch["id"])
    assert released["batch"]["quarantined"] is False
    assert released["batch"]["quarantineReason"] is None
    await _use(practice, batch["id"])
    _refused(await _do(client, RELEASE, token, batchId=batch["id"]), "CONFLICT", "batchId")
    assert await _on_hand(batch["id"]) == await _ledger_sum(practice, batch["id"]) == 4000
    types = await DomainEvent.filter(topic="stock").values_list("type", flat=True)
    assert {"BATCH_QUARANTINED", "BATCH_RELEASED"} <= set(types)


async def test_expired_batches_are_refused_and_listed_to_clear(client: httpx.AsyncClient) -> None:
    practice, token, _ = await _world()
    product = await _product(client, practice, token, reorderLevel="3")
    soon = await _receive(client, practice, token, product, quantity="2", expiresOn=_in(10))
    later = await _receive(client, practice, token, product, quantity="50", expiresOn=_in(200))
    gone = await _receive(client, practice, token, product, quantity="4", expiresOn=_in(0))
    await _use(practice, gone["id"])  # its last day: still usable
    await Batch.filter(id=gone["id"]).update(expires_on=_today() - timedelta(days=1))
    with pytest.raises(Conflict) as refused:
        await _use(practice, gone["id"])
    assert refused.value.field == "batchId"
    expiring = await gql(client, EXPIRING, {"p": str(practice.id), "days": 30}, token=token)
    assert [(b["id"], b["expired"], b["onHand"]) for b in expiring.data["expiringBatches"]] == [
        (gone["id"], True, "3.000"),
        (soon["id"], False, "2.000"),
    ]
    wide = await gql(client, EXPIRING, {"p": str(practice.id), "days": 366}, token=token)
    assert later["id"] in [b["id"] for b in wide.data["expiringBatches"]]
    _refused(
        await gql(client, EXPIRING, {"p": str(practice.id), "days": 367}, token=token),
        "BAD_USER_INPUT",
        "withinDays",
    )
    # 52 usable (the expired 3 do not count): not low; after using the later batch down, low.
    low = await gql(client, LOW, {"p": str(practice.id)}, token=token)
    assert low.data["lowStock"] == []
    await _ok(
        client, MOVE, token, batchId=later["id"], kind="ADJUSTED", amount="-49", reason="Stock take"
    )
    low = await gql(client, LOW, {"p": str(practice.id)}, token=token)
    assert [(x["product"]["id"], x["onHand"]) for x in low.data["lowStock"]] == [
        (product["id"], "3.000")
    ]


async def test_batches_are_paged_first_to_expire_first(client: httpx.AsyncClient) -> None:
    practice, token, _ = await _world()
    toxin = await _product(client, practice, token)
    filler = await _product(
        client,
        practice,
        token,
        name="Restylane Lyft 1 ml",
        kind="FILLER",
        unit="ML",
        brand="Galderma",
        prescriptionOnly=False,
    )
    b1 = await _receive(client, practice, token, toxin, expiresOn=_in(30))
    b2 = await _receive(client, practice, token, filler, expiresOn=_in(60), quantity="1")
    b3 = await _receive(client, practice, token, toxin, expiresOn=_in(90))
    await _ok(client, MOVE, token, batchId=b2["id"], kind="WASTED", amount="1", reason="Split")
    variables = {"p": str(practice.id), "empty": True, "first": 2}
    page = await gql(client, BATCHES, variables, token=token)
    assert [e["node"]["id"] for e in page.data["batches"]["edges"]] == [b1["id"], b2["id"]]
    assert page.data["batches"]["pageInfo"]["hasNextPage"] is True
    after = page.data["batches"]["pageInfo"]["endCursor"]
    rest = await gql(client, BATCHES, {**variables, "after": after}, token=token)
    assert [e["node"]["id"] for e in rest.data["batches"]["edges"]] == [b3["id"]]
    non_empty = await gql(client, BATCHES, {"p": str(practice.id), "empty": False}, token=token)
    assert [e["node"]["id"] for e in non_empty.data["batches"]["edges"]] == [b1["id"], b3["id"]]
    only = await gql(
        client,
        BATCHES,
        {"p": str(practice.id), "empty": True, "product": filler["id"]},
        token=token,
    )
    assert [e["node"]["id"] for e in only.data["batches"]["edges"]] == [b2["id"]]
    _refused(
        await gql(client, BATCHES, {**variables, "after": "nonsense"}, token=token),
        "BAD_USER_INPUT",
        "after",
    )


async def test_roles_and_tenants(client: httpx.AsyncClient) -> None:
    practice, token, _ = await _world()
    org = await practice.organization
    product = await _product(client, practice, token)
    batch = await _receive(client, practice, token, product)
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    org_admin = factories.access_token(await factories.user(Role.ORG_ADMIN, org=org))
    # Reception neither reads nor keeps stock; an organisation admin reads but does not change.
    assert (await gql(client, ONE, {"id": batch["id"]}, token=receptionist)).codes == ["FORBIDDEN"]
    read = await gql(client, ONE, {"id": batch["id"]}, token=org_admin)
    assert read.errors == []
    assert read.data["batch"]["onHand"] == "10.000"
    for who in (receptionist, org_admin):
        refused = await _do(client, MOVE, who, batchId=batch["id"], kind="RETURNED", amount="1")
        assert refused.codes == ["FORBIDDEN"]
    # Another practice's staff: its batch answers like a random id, its lists stay empty.
    other, other_token, _ = await _world()
    for doc, values in (
        (ONE, {"id": batch["id"]}),
        (QUARANTINE, {"input": {"batchId": batch["id"], "reason": "Probe"}}),
        (MOVE, {"input": {"batchId": batch["id"], "kind": "RETURNED", "amount": "1"}}),
    ):
        foreign = await gql(client, doc, values, token=other_token)
        swapped = dict(values.items())
        if "input" in swapped:
            swapped["input"] = {**swapped["input"], "batchId": str(uuid4())}
        else:
            swapped["id"] = str(uuid4())
        random = await gql(client, doc, swapped, token=other_token)
        assert foreign.body == random.body
        assert foreign.codes == ["NOT_FOUND"]
    listed = await gql(client, BATCHES, {"p": str(other.id), "empty": True}, token=other_token)
    assert listed.data["batches"]["edges"] == []
    mine = await gql(client, BATCHES, {"p": str(practice.id), "empty": True}, token=other_token)
    assert mine.codes == ["NOT_FOUND"]
    assert await _on_hand(batch["id"]) == 10_000


async def test_demo_stock_is_consistent_and_shows_every_state(client: httpx.AsyncClient) -> None:
    import random

    from services.aesthetics.demo_stock import seed_stock

    practice, token, nurse = await _world()
    made = await seed_stock(practice, [], nurse, random.Random(7))
    sister = await factories.practice(await practice.organization)
    await seed_stock(sister, [], nurse, random.Random(8))  # reuses the organisation's products
    assert made == 10
    for batch in await Batch.filter(practice_id=practice.id):
        assert batch.on_hand_milli == await _ledger_sum(practice, str(batch.id)) >= 0
    shown = await gql(client, PRODUCTS, {"p": str(practice.id), "all": False}, token=token)
    assert len(shown.data["products"]["edges"]) == 7
    low = await gql(client, LOW, {"p": str(practice.id)}, token=token)
    assert [x["product"]["name"] for x in low.data["lowStock"]] == ["Azzalure 125 Speywood units"]
    soon = await gql(client, EXPIRING, {"p": str(practice.id), "days": 30}, token=token)
    assert len(soon.data["expiringBatches"]) == 1
    listed = await gql(
        client, BATCHES, {"p": str(practice.id), "empty": False, "first": 20}, token=token
    )
    assert len(listed.data["batches"]["edges"]) == 10
    assert await Batch.filter(practice_id=practice.id, quarantined_at__isnull=False).count() == 1


async def test_the_same_lot_received_at_once_is_one_batch(client: httpx.AsyncClient) -> None:
    practice, token, _ = await _world()
    product = await _product(client, practice, token)
    base = {
        "practiceId": str(practice.id),
        "productId": product["id"],
        "lotNumber": "C7777C1",
        "expiresOn": _in(300),
        "quantity": "100",
    }
    results = await asyncio.gather(*(_do(client, RECEIVE, token, **base) for _ in range(6)))
    assert sorted(r.codes for r in results) == [[]] + [["CONFLICT"]] * 5
    assert {r.errors[0]["extensions"]["field"] for r in results if r.errors} == {"lotNumber"}
    assert await _counts() == (1, 1, 2, 2)  # the product and the one batch
