"""Input rules for patient data: NHS number checksum, UK postcode, email, phone, free text.

Each function returns the normalised value or raises ``ValidationFailed`` naming the GraphQL
input field, so clients can point at the box to fix. Messages never echo the value.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from services.characters import check_characters
from services.errors import ValidationFailed

_NHS_WEIGHTS = range(10, 1, -1)
# Royal Mail format (outward code + inward code); GIR 0AA is the one historic exception.
_POSTCODE = re.compile(
    r"(?:GIR ?0AA|"
    r"(?:[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRV-Y\d]?)) ?\d[ABD-HJLNP-UW-Z]{2})"
)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
_PAN = re.compile(r"\d{13,19}")


def text(value: str, field: str, *, max_length: int, required: bool = False) -> str | None:
    """Trimmed free text without control characters (NUL breaks PostgreSQL and log lines)."""
    cleaned = value.strip()
    check_characters(cleaned, field)
    if len(cleaned) > max_length:
        raise ValidationFailed(f"'{field}' is longer than {max_length} characters.", field=field)
    if not cleaned:
        if required:
            raise ValidationFailed(f"'{field}' is required.", field=field)
        return None
    return cleaned


def nhs_number_is_valid(digits: str) -> bool:
    """Modulus 11: weights 10..2 over nine digits; 11 means check digit 0, 10 is never issued."""
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def nhs_number(value: str, field: str = "nhsNumber") -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not nhs_number_is_valid(digits):
        raise ValidationFailed("That is not a valid NHS number.", field=field)
    return digits


def format_nhs_number(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def postcode(value: str, field: str = "postcode") -> str:
    compact = re.sub(r"\s+", "", value).upper()
    if not _POSTCODE.fullmatch(compact):
        raise ValidationFailed("That is not a valid UK postcode.", field=field)
    return f"{compact[:-3]} {compact[-3:]}"


def email(value: str, field: str = "email") -> str:
    cleaned = value.strip()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned):
        raise ValidationFailed("That is not a valid email address.", field=field)
    return cleaned


def phone(value: str, field: str) -> str:
    """UK or international numbers; kept as typed (tidied), normalised only for the index."""
    cleaned = " ".join(value.split())
    digits = re.sub(r"[\s\-()]", "", cleaned.replace("(0)", ""))
    if not re.fullmatch(r"\+?\d{10,15}", digits):
        raise ValidationFailed("That is not a valid phone number.", field=field)
    return cleaned


def date_of_birth(value: date, field: str = "dateOfBirth") -> date:
    if value > datetime.now(UTC).date() or value.year < 1900:
        raise ValidationFailed("Date of birth must be in the past (after 1900).", field=field)
    return value


def looks_like_card_number(value: str) -> bool:
    """A Luhn-valid 13-19 digit run: a card number that must never be stored."""
    digits = re.sub(r"[\s-]", "", value)
    if not _PAN.fullmatch(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def payment_token(value: str, field: str = "paymentToken") -> str | None:
    cleaned = text(value, field, max_length=255)
    if cleaned is not None and looks_like_card_number(cleaned):
        raise ValidationFailed(
            "Card numbers must not be stored; give the payment processor's token.", field=field
        )
    return cleaned
