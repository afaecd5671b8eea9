"""``sentMessages``: what a practice sent and received (``patient:read``, audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument, optional_id_argument
from graph.permissions.fields import requires
from graph.schema.messages import (
    MessageSettings,
    NotifyBreachPatientsInput,
    NotifyBreachPatientsPayload,
    SaveMessageTemplateInput,
    SaveMessageTemplatePayload,
    SentMessage,
    UpdateMessageSettingsInput,
    UpdateMessageSettingsPayload,
)
from graph.schema.pagination import Connection, after_key, page_size
from services.consent import breach
from services.messaging import practice_settings, sent
from services.policy import Scope


@strawberry.type
class MessageQueries:
    @strawberry.field(
        description="Messages of a practice, newest first: what was sent (or, on the "
        "development channel, kept instead of sent) and replies received.",
        extensions=[*requires(Scope.PATIENT_READ), AuditReads()],
    )
    async def sent_messages(
        self,
        info: Info,
        practice_id: Annotated[strawberry.ID, strawberry.argument(description="The practice.")],
        patient_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only messages to or from this patient."),
        ] = None,
        development_only: Annotated[
            bool,
            strawberry.argument(description="Only what the development channel kept."),
        ] = False,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, at most 100.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor of the last message seen.")
        ] = None,
    ) -> Connection[SentMessage] | None:
        page = await sent.listed(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            patient_id=optional_id_argument(patient_id=patient_id),
            development_only=development_only,
            first=page_size(first),
            after=after_key(after, datetime, UUID),
        )
        return Connection[SentMessage].build(
            page.messages,
            SentMessage.from_row,
            lambda m: [m.row.created_at.isoformat(), str(m.row.id)],
            has_next=page.has_next,
        )


@strawberry.type
class MessageMutations:
    @strawberry.mutation(
        description="Change a practice's sender identity, reminder timing, quiet hours or "
        "development channel.",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def update_message_settings(
        self, info: Info, input: UpdateMessageSettingsInput
    ) -> UpdateMessageSettingsPayload | None:
        by_type = None
        if input.reminder_hours_by_type is not None:
            by_type = {
                str(id_argument(appointment_type_id=r.appointment_type_id)): r.hours
                for r in input.reminder_hours_by_type
            }
        row = await practice_settings.update(
            info.context.principal,
            practice_id=input.ids.practice_id,
            change=practice_settings.SettingsChange(
                sender_name=input.sender_name,
                sender_email=input.sender_email,
                reply_to=input.reply_to,
                sms_from=input.sms_from,
                reminder_hours=input.reminder_hours,
                reminder_hours_by_type=by_type,
                quiet_start_minute=input.quiet_start_minute,
                quiet_end_minute=input.quiet_end_minute,
                development_channel=input.development_channel,
            ),
        )
        return UpdateMessageSettingsPayload(settings=MessageSettings.from_model(row))

    @strawberry.mutation(
        description="Save a new version of a practice's message template.",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def save_message_template(
        self, info: Info, input: SaveMessageTemplateInput
    ) -> SaveMessageTemplatePayload | None:
        row = await practice_settings.save_template(
            info.context.principal,
            practice_id=input.ids.practice_id,
            name=input.name,
            subject=input.subject,
            text=input.text,
            html=input.html,
            sms=input.sms,
        )
        return SaveMessageTemplatePayload(name=row.name, version=row.version)

    @strawberry.mutation(
        description="Queue the breach notice for every patient the incident's actor touched.",
        extensions=requires(Scope.AUDIT_READ),
    )
    async def notify_breach_patients(
        self, info: Info, input: NotifyBreachPatientsInput
    ) -> NotifyBreachPatientsPayload | None:
        queued = await breach.notify_patients(
            info.context.principal,
            incident_id=input.ids.incident_id,
            since=input.from_,
            until=input.to,
        )
        return NotifyBreachPatientsPayload(queued=queued)
