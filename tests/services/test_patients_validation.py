"""NHS number (mod 11), UK postcodes, card-number refusal, search classification, policy."""

from __future__ import annotations

import pytest

from services.errors import ValidationFailed
from services.patients import validation as v
from services.policy import ROLE_SCOPES, Scope


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5870", "4010232137"])
def test_valid_nhs_numbers(number: str) -> None:
    assert v.nhs_number(number) == number.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    "number", ["9434765918", "123", "94347659190", "abcdefghij", "", "1234567890"]
)
def test_invalid_nhs_numbers(number: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        v.nhs_number(number)
    assert raised.value.code == "BAD_USER_INPUT"
    assert raised.value.field == "nhsNumber"


def test_check_digit_ten_is_never_valid() -> None:
    # 000000006x: 6 x weight 2 = 12, remainder 1, check digit 10, so no tenth digit can be right.
    assert not any(v.nhs_number_is_valid(f"000000006{d}") for d in range(10))


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("m1 1ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("eh6  4db", "EH6 4DB"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_valid_postcodes(raw: str, normalised: str) -> None:
    assert v.postcode(raw) == normalised


@pytest.mark.parametrize("raw", ["", "12345", "SW1A", "QQ1 1AA", "SW1A 1A", "SW1A 1AAA", "V1 1AA"])
def test_invalid_postcodes(raw: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        v.postcode(raw, "address.postcode")
    assert raised.value.field == "address.postcode"


def test_card_numbers_are_recognised() -> None:
    assert v.looks_like_card_number("4242 4242 4242 4242")
    assert not v.looks_like_card_number("4242 4242 4242 4241")
    assert not v.looks_like_card_number("tok_1Nx4242")


def test_control_characters_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        v.text("a\x00b", "firstName", max_length=10)


def test_write_scopes_imply_read_scopes_for_payloads() -> None:
    """Mutation payloads show history/insurance to whoever could write them."""
    for scopes in ROLE_SCOPES.values():
        if Scope.CLINICAL_WRITE in scopes:
            assert Scope.CLINICAL_READ in scopes
        if Scope.BILLING_WRITE in scopes:
            assert Scope.BILLING_READ in scopes
