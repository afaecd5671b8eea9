"""Structured contact values (address, emergency contact, GP) stored as one ciphertext each."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from services.patients import validation as v


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    postcode: str
    line2: str | None = None
    town: str | None = None
    county: str | None = None

    def validated(self, field: str = "address") -> Address:
        return Address(
            line1=v.text(self.line1, f"{field}.line1", max_length=200, required=True) or "",
            line2=v.text(self.line2 or "", f"{field}.line2", max_length=200),
            town=v.text(self.town or "", f"{field}.town", max_length=100),
            county=v.text(self.county or "", f"{field}.county", max_length=100),
            postcode=v.postcode(self.postcode, f"{field}.postcode"),
        )


@dataclass(frozen=True, slots=True)
class EmergencyContact:
    name: str
    phone: str
    relationship: str | None = None

    def validated(self, field: str = "emergencyContact") -> EmergencyContact:
        return EmergencyContact(
            name=v.text(self.name, f"{field}.name", max_length=200, required=True) or "",
            phone=v.phone(self.phone, f"{field}.phone"),
            relationship=v.text(self.relationship or "", f"{field}.relationship", max_length=60),
        )


@dataclass(frozen=True, slots=True)
class GpDetails:
    practice_name: str
    doctor_name: str | None = None
    phone: str | None = None
    address: Address | None = None

    def validated(self, field: str = "gp") -> GpDetails:
        return GpDetails(
            practice_name=v.text(self.practice_name, f"{field}.practiceName", max_length=200) or "",
            doctor_name=v.text(self.doctor_name or "", f"{field}.doctorName", max_length=200),
            phone=v.phone(self.phone, f"{field}.phone") if self.phone else None,
            address=self.address.validated(f"{field}.address") if self.address else None,
        )


def to_dict(value: Address | EmergencyContact | GpDetails | None) -> dict[str, Any] | None:
    return None if value is None else asdict(value)


def address_from(data: dict[str, Any] | None) -> Address | None:
    return None if data is None else Address(**data)


def emergency_contact_from(data: dict[str, Any] | None) -> EmergencyContact | None:
    return None if data is None else EmergencyContact(**data)


def gp_from(data: dict[str, Any] | None) -> GpDetails | None:
    if data is None:
        return None
    return GpDetails(**{**data, "address": address_from(data.get("address"))})
