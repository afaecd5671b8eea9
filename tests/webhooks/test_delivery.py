"""Delivery end to end: events fan out durably, are signed, retried, withheld and disabled."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from db.models import (
    AuditEvent,
    Message,
    PartnerWebhookAttempt,
    PartnerWebhookCursor,
    PartnerWebhookDelivery,
    PartnerWebhookEndpoint,
)
from services.webhooks import delivery, endpoints, secrets, targets
from tests.webhooks import world as w
from tests.webhooks.receiver import receiver


@pytest.fixture
def loopback() -> Iterator[None]:
    yield from w.test_config()


async def deliveries() -> list[PartnerWebhookDelivery]:
    return await PartnerWebhookDelivery.all().order_by("sequence")


async def test_a_delivery_verifies_with_the_librarys_verifier(db: str, loopback: None) -> None:
    world = await w.build_world()
    with receiver() as hook:
        made = await world.register(hook.url)
        await world.touch(world.sharing, "Sharona")
        await w.pump()
    assert len(hook.received) == 1
    got = hook.received[0]
    body = Webhook(made.secret).verify(got.body, got.headers)
    assert body["type"] == "patient.updated"
    assert body["data"] == {
        "practiceId": str(world.practice.id),
        "patientId": str(world.sharing.id),
    }
    assert b"Sharon" not in got.body  # ids only, never names
    stored = (await deliveries())[0]
    assert got.headers["webhook-id"] == f"msg_{UUID(str(stored.id)).hex}"
    assert stored.status == "DELIVERED"
    assert stored.attempts == 1
    # another secret does not verify it: the signature is real
    with pytest.raises(WebhookVerificationError):
        Webhook(secrets.new_secret()).verify(got.body, got.headers)
    read = await AuditEvent.filter(action="WEBHOOK_DELIVERED").first()
    assert read is not None
    assert read.client_id == world.client_id
    assert str(read.patient_id) == str(world.sharing.id)


async def test_retried_on_500_then_delivered_once(db: str, loopback: None) -> None:
    world = await w.build_world()
    with receiver([500]) as hook:
        await world.register(hook.url)
        await world.touch(world.sharing)
        await w.pump()
        await w.pump()  # nothing left: a delivered event is not sent again
    assert len(hook.received) == 2
    assert hook.received[0].headers["webhook-id"] == hook.received[1].headers["webhook-id"]
    stored = (await deliveries())[0]
    assert (stored.status, stored.attempts, stored.last_status_code) == ("DELIVERED", 2, 200)
    log = await PartnerWebhookAttempt.filter(delivery_id=stored.id).order_by("attempt")
    assert [(a.attempt, a.outcome, a.status_code) for a in log] == [
        (1, "HTTP_RETRY", 500),
        (2, "OK", 200),
    ]
    endpoint = await PartnerWebhookEndpoint.get(id=stored.endpoint_id)
    assert endpoint.consecutive_failures == 0
    assert endpoint.enabled


async def test_disabled_after_n_consecutive_failures(db: str, loopback: None) -> None:
    world = await w.build_world()
    with receiver([503] * 50) as hook:
        made = await world.register(hook.url)
        await world.touch(world.sharing)
        await w.pump()
        sent_before = len(hook.received)
        await world.touch(world.sharing, "Again")
        await w.pump()
    assert sent_before == 3  # disable_after=3: the third failure disabled it
    assert len(hook.received) == 3  # nothing sent to a disabled endpoint
    endpoint = await PartnerWebhookEndpoint.get(id=made.view.endpoint.id)
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "FAILURES"
    assert [d.status for d in await deliveries()] == ["FAILED", "DISABLED"]
    notices = await AuditEvent.filter(action="WEBHOOK_ENDPOINT_DISABLED")
    assert len(notices) == 1
    assert notices[0].entity_id == str(endpoint.id)
    # The organisation's admin is emailed, once, in the transaction that turned it off.
    emails = await Message.filter(template_name="webhook_disabled")
    assert [(m.staff_user_id, m.purpose) for m in emails] == [
        (world.admin.user_id, "OPERATOR_NOTICE")
    ]


async def test_a_non_sharing_patients_events_are_withheld(db: str, loopback: None) -> None:
    world = await w.build_world()
    with receiver() as hook:
        await world.register(hook.url)
        await world.touch(world.private, "Secret")
        await w.pump()
    assert hook.received == []
    assert [d.status for d in await deliveries()] == ["WITHHELD"]
    assert not await AuditEvent.filter(action="WEBHOOK_DELIVERED").exists()


async def test_a_withdrawal_stops_deliveries_not_yet_sent(db: str, loopback: None) -> None:
    from services.consent import ledger

    world = await w.build_world()
    with receiver() as hook:
        await world.register(hook.url, ["patient.updated"])
        await world.touch(world.sharing)
        await w.fan_out(world)  # queued while the patient still shared
        await ledger.record(
            world.desk,
            patient_id=world.sharing.id,
            decision=w.sharing(world.client_id, granted=False),
            withdrawal=True,
        )
        await w.pump()
    assert hook.received == []
    assert [d.status for d in await deliveries()] == ["WITHHELD"]


async def test_only_subscribed_types_and_events_after_registration(db: str, loopback: None) -> None:
    world = await w.build_world()
    await world.touch(world.sharing, "Before")  # before any endpoint: never delivered
    with receiver() as hook:
        await world.register(hook.url, ["consent.changed"])
        await world.touch(world.sharing, "After")  # not subscribed
        await w.pump()
    assert hook.received == []
    assert await deliveries() == []


async def test_fan_out_is_idempotent_and_resumable(db: str, loopback: None) -> None:
    world = await w.build_world()
    with receiver() as hook:
        await world.register(hook.url)
        await world.touch(world.sharing, "One")
        await world.touch(world.sharing, "Two")
        assert await w.fan_out(world) == 2
        # a crash before the cursor moved would run the batch again: rewind it and rerun
        cursor = await PartnerWebhookCursor.get(practice_id=world.practice.id)
        cursor.last_sequence -= 2
        await cursor.save()
        assert await w.fan_out(world) == 2  # the same two rows, found, not duplicated
        assert len(await deliveries()) == 2
        await w.pump()
    assert len(hook.received) == 2
    assert len({r.headers["webhook-id"] for r in hook.received}) == 2


async def test_redirects_are_not_followed(db: str, loopback: None) -> None:
    world = await w.build_world()
    with receiver([302]) as hook:
        await world.register(hook.url)
        await world.touch(world.sharing)
        await w.pump()
    assert len(hook.received) == 1
    stored = (await deliveries())[0]
    assert (stored.status, stored.last_status_code) == ("FAILED", 302)


async def test_replay_sends_the_same_message_again(db: str, loopback: None) -> None:
    world = await w.build_world()
    with receiver() as hook:
        await world.register(hook.url)
        await world.touch(world.sharing)
        await w.pump()
        stored = (await deliveries())[0]
        await endpoints.replay(world.admin, delivery_id=UUID(str(stored.id)))
        await w.pump()
    assert len(hook.received) == 2
    assert hook.received[0].headers["webhook-id"] == hook.received[1].headers["webhook-id"]
    assert hook.received[0].body == hook.received[1].body
    assert await AuditEvent.filter(action="REPLAY webhook delivery").exists()


async def test_dns_rebinding_is_refused_at_delivery(db: str) -> None:
    """Public at registration, loopback at delivery: refused before any connection."""
    names = {"hooks.partner.example": ["93.184.215.14"]}

    async def resolve(host: str, port: int) -> list[str]:
        return names.get(host, [])

    gen = w.test_config(allow_loopback=False)
    next(gen)
    targets.use_resolver(resolve)
    try:
        world = await w.build_world()
        with receiver() as hook:
            await world.register(f"https://hooks.partner.example:{hook.port}/in")
            names["hooks.partner.example"] = ["127.0.0.1"]
            await world.touch(world.sharing)
            await w.fan_out(world)
            stored = (await deliveries())[0]
            result = await delivery.deliver(UUID(str(stored.id)))
        assert hook.received == []
        assert result.outcome is not None
        assert result.outcome.outcome == "REFUSED_TARGET"
        attempt = await PartnerWebhookAttempt.get(delivery_id=stored.id)
        assert attempt.outcome == "REFUSED_TARGET"
        assert attempt.status_code is None
    finally:
        targets.use_resolver(None)
        next(gen, None)


async def test_the_secret_is_stored_encrypted(db: str, loopback: None) -> None:
    world = await w.build_world()
    made = await world.register("http://127.0.0.1:9/unused")
    raw = await PartnerWebhookEndpoint.get(id=made.view.endpoint.id)
    assert made.secret.startswith("whsec_")
    assert made.secret not in raw.secret
    assert made.secret[6:] not in raw.secret
    assert secrets.opened(raw) == made.secret
    audited = str(await AuditEvent.all().values())
    assert "REGISTER webhook endpoint" in audited
    assert made.secret[6:] not in audited


async def test_the_connection_goes_to_the_checked_ip_with_the_name_as_host(
    db: str, loopback: None
) -> None:
    """The name is resolved once (by the check) and sent only as the Host header."""
    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"] if host == "hooks.partner.example" else []

    targets.use_resolver(resolve)
    try:
        world = await w.build_world()
        with receiver() as hook:
            await world.register(f"http://hooks.partner.example:{hook.port}/in")
            looked_up.clear()
            await world.touch(world.sharing)
            await w.pump()
        assert len(hook.received) == 1
        assert hook.received[0].headers["host"] == f"hooks.partner.example:{hook.port}"
        assert looked_up == ["hooks.partner.example"]  # once, at delivery, by the check
    finally:
        targets.use_resolver(None)


async def test_a_restricted_patients_events_are_withheld(db: str, loopback: None) -> None:
    from db.models.privacy import RestrictionKind
    from services.consent import restriction

    world = await w.build_world()
    with receiver() as hook:
        await world.register(hook.url, ["patient.updated"])
        await restriction.place(
            world.desk,
            patient_id=world.sharing.id,
            kind=RestrictionKind.RESTRICTION,
            reason="Accuracy contested",
        )
        await world.touch(world.sharing, "Restricted")
        await w.pump()
    assert hook.received == []
    assert [d.status for d in await deliveries()] == ["WITHHELD"]
