"""The templates shipped with AES CRM (version 0 of each), the fields each may use, and what
kind of message it is (service, marketing or required by law).

A practice may save its own versions (``templates.save_override``); they may use only the fields
listed here, so a typo or an attempt to reach anything else is refused when saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    SERVICE = "SERVICE"  # about the patient's own care or account: not marketing
    MARKETING = "MARKETING"  # needs the channel's marketing consent; carries an unsubscribe link
    LEGAL = "LEGAL"  # required by law (a breach notice, a request's answer)


@dataclass(frozen=True, slots=True)
class Shipped:
    kind: Kind
    fields: frozenset[str]
    subject: str
    text: str
    html: str | None
    sms: str | None


COMMON = frozenset({"practice_name", "patient_name"})
_VISIT = frozenset(
    {"appointment_date", "appointment_time", "practitioner_name", "appointment_type"}
)
_STAFF = frozenset({"name", "link", "expires_at", "practice_name"})
_SIGN = "\n\n{{ practice_name }}"

SHIPPED: dict[str, Shipped] = {
    "appointment_confirmation": Shipped(
        Kind.SERVICE,
        COMMON | _VISIT,
        "Your appointment at {{ practice_name }}",
        "Hello {{ patient_name }},\n\nYour {{ appointment_type }} with {{ practitioner_name }} "
        "is booked for {{ appointment_date }} at {{ appointment_time }}." + _SIGN,
        "<p>Hello {{ patient_name }},</p><p>Your {{ appointment_type }} with "
        "{{ practitioner_name }} is booked for <strong>{{ appointment_date }} at "
        "{{ appointment_time }}</strong>.</p><p>{{ practice_name }}</p>",
        "{{ practice_name }}: your {{ appointment_type }} is booked for {{ appointment_date }} "
        "at {{ appointment_time }}.",
    ),
    "appointment_reminder": Shipped(
        Kind.SERVICE,
        COMMON | _VISIT,
        "Reminder: your appointment at {{ practice_name }}",
        "Hello {{ patient_name }},\n\nA reminder of your {{ appointment_type }} with "
        "{{ practitioner_name }} on {{ appointment_date }} at {{ appointment_time }}." + _SIGN,
        "<p>Hello {{ patient_name }},</p><p>A reminder of your {{ appointment_type }} with "
        "{{ practitioner_name }} on <strong>{{ appointment_date }} at {{ appointment_time }}"
        "</strong>.</p><p>{{ practice_name }}</p>",
        "{{ practice_name }}: reminder of your appointment on {{ appointment_date }} at "
        "{{ appointment_time }}. Reply YES to confirm or NO if you cannot come.",
    ),
    "recall_reminder": Shipped(
        Kind.SERVICE,
        COMMON | {"recall_kind", "due_date"},
        "Time for your {{ recall_kind }} at {{ practice_name }}",
        "Hello {{ patient_name }},\n\nYour {{ recall_kind }} is due on {{ due_date }}. "
        "Please contact us to book." + _SIGN,
        "<p>Hello {{ patient_name }},</p><p>Your {{ recall_kind }} is due on "
        "{{ due_date }}. Please contact us to book.</p><p>{{ practice_name }}</p>",
        "{{ practice_name }}: your {{ recall_kind }} is due on {{ due_date }}. Call us to book.",
    ),
    "waitlist_offer": Shipped(
        Kind.SERVICE,
        COMMON | {"appointment_date", "appointment_time"},
        "An earlier appointment at {{ practice_name }}",
        "Hello {{ patient_name }},\n\nA place came free on {{ appointment_date }} at "
        "{{ appointment_time }}. Contact us soon if you would like it." + _SIGN,
        "<p>Hello {{ patient_name }},</p><p>A place came free on {{ appointment_date }} at "
        "{{ appointment_time }}. Contact us soon if you would like it.</p>"
        "<p>{{ practice_name }}</p>",
        "{{ practice_name }}: a place came free on {{ appointment_date }} at "
        "{{ appointment_time }}. Call us if you would like it.",
    ),
    "care_instructions": Shipped(
        Kind.SERVICE,
        COMMON | {"appointment_type", "appointment_date"},
        "After your {{ appointment_type }}",
        "Hello {{ patient_name }},\n\nAfter your {{ appointment_type }} on "
        "{{ appointment_date }}: avoid hot drinks for an hour, take the usual pain relief if "
        "needed, and call us if anything worries you." + _SIGN,
        "<p>Hello {{ patient_name }},</p><p>After your {{ appointment_type }} on "
        "{{ appointment_date }}: avoid hot drinks for an hour, take the usual pain relief if "
        "needed, and call us if anything worries you.</p><p>{{ practice_name }}</p>",
        None,
    ),
    "dsr_notice": Shipped(
        Kind.LEGAL,
        COMMON | {"request_kind", "request_status", "due_date"},
        "Your data request to {{ practice_name }}",
        "Hello {{ patient_name }},\n\nYour {{ request_kind }} request is {{ request_status }}. "
        "We will answer by {{ due_date }}." + _SIGN,
        "<p>Hello {{ patient_name }},</p><p>Your {{ request_kind }} request is "
        "{{ request_status }}. We will answer by {{ due_date }}.</p><p>{{ practice_name }}</p>",
        None,
    ),
    "breach_notice": Shipped(
        Kind.LEGAL,
        COMMON | {"detected_on"},
        "Important: a data incident at {{ practice_name }}",
        "Hello {{ patient_name }},\n\nOn {{ detected_on }} we found a security incident that "
        "may affect your personal data. Please contact the practice to hear what happened, "
        "what we are doing and what you can do." + _SIGN,
        "<p>Hello {{ patient_name }},</p><p>On {{ detected_on }} we found a security incident "
        "that may affect your personal data. Please contact the practice to hear what "
        "happened, what we are doing and what you can do.</p><p>{{ practice_name }}</p>",
        None,
    ),
    "practice_news": Shipped(
        Kind.MARKETING,
        COMMON | {"unsubscribe_url"},
        "News from {{ practice_name }}",
        "Hello {{ patient_name }},\n\nOur latest news and offers."
        + _SIGN
        + "\n\nUnsubscribe: {{ unsubscribe_url }}",
        "<p>Hello {{ patient_name }},</p><p>Our latest news and offers.</p>"
        '<p>{{ practice_name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
        "{{ practice_name }}: our latest news. Stop: {{ unsubscribe_url }}",
    ),
    "staff_invitation": Shipped(
        Kind.SERVICE,
        _STAFF,
        "You are invited to AES CRM",
        "Hello {{ name }},\n\nYou have been invited to {{ practice_name }} on AES CRM. "
        "Accept before {{ expires_at }}: {{ link }}",
        "<p>Hello {{ name }},</p><p>You have been invited to {{ practice_name }} on AES CRM. "
        'Accept before {{ expires_at }}: <a href="{{ link }}">{{ link }}</a></p>',
        None,
    ),
    "password_reset": Shipped(
        Kind.SERVICE,
        _STAFF,
        "Reset your AES CRM password",
        "Hello {{ name }},\n\nTo choose a new password open this link before {{ expires_at }}: "
        "{{ link }}\n\nIf you did not ask, ignore this email.",
        "<p>Hello {{ name }},</p><p>To choose a new password open this link before "
        '{{ expires_at }}: <a href="{{ link }}">{{ link }}</a></p>'
        "<p>If you did not ask, ignore this email.</p>",
        None,
    ),
    "email_change": Shipped(
        Kind.SERVICE,
        _STAFF,
        "Confirm your new AES CRM email address",
        "Hello {{ name }},\n\nConfirm this address before {{ expires_at }}: {{ link }}",
        "<p>Hello {{ name }},</p><p>Confirm this address before {{ expires_at }}: "
        '<a href="{{ link }}">{{ link }}</a></p>',
        None,
    ),
    "email_change_notice": Shipped(
        Kind.SERVICE,
        _STAFF,
        "Your AES CRM sign-in email is being changed",
        "Hello {{ name }},\n\nSomeone signed in as you asked to move your AES CRM account to "
        "another email address. It moves only when that address confirms. If this was not you, "
        "tell your practice's admin at once and change your password.",
        "<p>Hello {{ name }},</p><p>Someone signed in as you asked to move your AES CRM account "
        "to another email address. It moves only when that address confirms. If this was not "
        "you, tell your practice's admin at once and change your password.</p>",
        None,
    ),
    "webhook_disabled": Shipped(
        Kind.SERVICE,
        frozenset({"name", "endpoint", "failures", "practice_name"}),
        "A partner webhook endpoint was turned off",
        "Hello {{ name }},\n\nThe webhook endpoint {{ endpoint }} failed {{ failures }} times "
        "in a row and has been turned off. Events for it are kept: re-enable it with "
        "updateWebhookEndpoint once it answers again, then replay what it missed.",
        "<p>Hello {{ name }},</p><p>The webhook endpoint {{ endpoint }} failed {{ failures }} "
        "times in a row and has been turned off. Events for it are kept: re-enable it with "
        "updateWebhookEndpoint once it answers again, then replay what it missed.</p>",
        None,
    ),
}
STAFF_TEMPLATES = frozenset(
    {
        "staff_invitation",
        "password_reset",
        "email_change",
        "email_change_notice",
        "webhook_disabled",
    }
)
