"""Recipient addresses: checked before anything is recorded, masked for display and records.

A message row keeps the whole address only encrypted; its plain-text column holds a mask that
says which address it was to someone who knows it, and nothing to anyone else.
"""

from __future__ import annotations

import re

from services.errors import ValidationFailed

_EMAIL = re.compile(r"^[^@\s<>\"'\r\n,;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def email(value: str, field: str = "to") -> str:
    address = value.strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise ValidationFailed("Not a valid email address.", field=field)
    return address


def phone(value: str, field: str = "to") -> str:
    """An E.164 number (UK numbers written nationally are converted)."""
    digits = re.sub(r"[\s\-().]", "", value.replace("(0)", ""))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+44" + digits[1:]
    if not _E164.match(digits):
        raise ValidationFailed("Not a valid mobile number.", field=field)
    return digits


def mask(channel: str, address: str) -> str:
    if channel == "EMAIL":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"[:80]
    return f"{address[:3]}{'*' * max(len(address) - 6, 0)}{address[-3:]}"


__all__ = ["email", "mask", "phone"]
