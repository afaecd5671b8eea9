"""Recording a message and queueing its send, in the caller's transaction.

The job payload carries the message id only; the job key is the message id, so queueing twice
or a retried job never produces a second message. The template version is fixed here (the
practice's newest at the time), the body is rendered when it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from db.crypto import FieldContext
from db.models import Message
from db.queries import messages as queries
from services import runtime
from services.jobs.queue import enqueue
from services.messaging import addresses, templates

SEND_KIND = "messages.send"


def sealed(message_id: UUID, practice_id: UUID | None, column: str, value: str) -> str:
    ctx = FieldContext(str(practice_id), "message", column, str(message_id))
    return runtime.keyring().encrypt(value, ctx)


def opened(message: Message, column: str) -> str | None:
    value = getattr(message, column)
    if value is None:
        return None
    ctx = FieldContext(str(message.practice_id), "message", column, str(message.id))
    return runtime.keyring().decrypt(value, ctx)


async def record(
    connection: BaseDBAsyncClient,
    *,
    practice_id: UUID | None,
    channel: str,
    purpose: str,
    template: str,
    patient_id: UUID | None = None,
    staff_user_id: UUID | None = None,
    to_address: str | None = None,
    context: Mapping[str, str] | None = None,
    subject_id: UUID | None = None,
    subject_at: datetime | None = None,
    run_at: datetime | None = None,
    campaign: str | None = None,
    message_id: UUID | None = None,
) -> Message:
    """One QUEUED message and its send job. Patient messages take the address at send time
    (``to_address`` None); staff email names its address here."""
    kind = templates.kind_of(template)
    version = 0
    if practice_id is not None:
        override = await queries.template(practice_id, template)
        version = override.version if override is not None else 0
    message_id = message_id or uuid4()
    values: dict[str, object] = {}
    if to_address is not None:
        values["to_address"] = sealed(message_id, practice_id, "to_address", to_address)
        values["address_masked"] = addresses.mask(channel, to_address)
    if context:
        text = json.dumps({str(k): str(v) for k, v in context.items()}, sort_keys=True)
        values["context"] = sealed(message_id, practice_id, "context", text)
    message = await queries.add(
        connection,
        id=message_id,
        practice_id=practice_id,
        patient_id=patient_id,
        staff_user_id=staff_user_id,
        channel=channel,
        purpose=purpose,
        contact_purpose=kind.value,
        template_name=template,
        template_version=version,
        subject_id=subject_id,
        subject_at=subject_at,
        campaign=campaign,
        scheduled_for=run_at,
        **values,
    )
    await enqueue_send(message_id, run_at=run_at, practice_id=practice_id)
    return message


async def enqueue_send(
    message_id: UUID, *, run_at: datetime | None, practice_id: UUID | None
) -> bool:
    payload = {"message_id": str(message_id)}
    return bool(
        await enqueue(
            SEND_KIND, payload, key=str(message_id), run_at=run_at, practice_id=practice_id
        )
    )


__all__ = ["SEND_KIND", "enqueue_send", "opened", "record", "sealed"]
