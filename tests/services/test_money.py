"""Money arithmetic as properties: splits, allocations and VAT never lose or invent a penny."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.money import (
    MAX_MINOR,
    Money,
    allocate,
    checked,
    round_half_up,
    split,
    vat_on,
)
from services.errors import ValidationFailed

amounts = st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR)
weights = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=30).filter(
    lambda w: sum(w) > 0
)


@given(amounts, weights)
def test_a_split_sums_exactly_to_the_whole_and_follows_the_weights(
    minor: int, shares: list[int]
) -> None:
    parts = split(Money(minor), shares)
    assert sum(p.minor for p in parts) == minor
    total = sum(shares)
    for part, weight in zip(parts, shares, strict=True):
        exact = abs(minor) * weight / total
        assert abs(abs(part.minor) - exact) < 1  # each share within a penny of its exact value
        if weight == 0:
            assert part.minor == 0


@given(
    st.integers(min_value=0, max_value=MAX_MINOR),
    st.lists(st.integers(min_value=0, max_value=MAX_MINOR), max_size=30),
)
def test_an_allocation_never_overpays_a_due_and_never_loses_the_rest(
    paid: int, owed: list[int]
) -> None:
    parts = allocate(Money(paid), [Money(o) for o in owed])
    assert all(0 <= p.minor <= o for p, o in zip(parts, owed, strict=True))
    assert sum(p.minor for p in parts) == min(paid, sum(owed))
    # oldest first: a later due receives something only when every earlier one is settled
    for i, part in enumerate(parts):
        if part.minor:
            assert all(parts[j].minor == owed[j] for j in range(i))


@given(st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=40))
def test_vat_per_line_is_each_line_rounded_half_up_and_the_invoice_is_their_sum(
    nets: list[int],
) -> None:
    lines = [vat_on(Money(n), 2000) for n in nets]
    for net, vat in zip(nets, lines, strict=True):
        assert abs(vat.minor * 5 - net) <= 2.5  # 20 %, within half a penny
    assert sum(v.minor for v in lines) == sum(round_half_up(n * 2000, 10_000) for n in nets)


def test_round_half_up_goes_away_from_zero_at_exactly_half() -> None:
    assert round_half_up(5, 10) == 1  # 0.5 → 1 (banker's rounding would give 0)
    assert round_half_up(15, 10) == 2
    assert round_half_up(25, 10) == 3  # banker's rounding would give 2
    assert round_half_up(-5, 10) == -1
    assert vat_on(Money(1), 2000).minor == 0  # 0.2p
    assert vat_on(Money(3), 2000).minor == 1  # 0.6p
    assert vat_on(Money(1_37_5), 2000).minor == 275  # exactly 275


def test_currencies_never_mix_and_amounts_are_integers() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money(100, "GBP") + Money(100, "EUR")
    assert refused.value.field == "currency"
    with pytest.raises(ValidationFailed):
        Money(1, "XYZ")
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]


def test_formatting_and_input_checks() -> None:
    assert Money(123450).formatted() == "£1,234.50"
    assert Money(-1200).formatted() == "-£12.00"
    assert Money(5, "EUR").formatted() == "€0.05"
    for bad, field in ((-1, "amount"), (0, "amount"), (MAX_MINOR + 1, "amount")):
        with pytest.raises(ValidationFailed) as refused:
            checked(bad, field)
        assert refused.value.field == field
    assert checked(0, "amount", allow_zero=True) == 0


def test_vat_follows_the_category_and_the_rate_in_force_on_the_tax_point() -> None:
    from datetime import date

    from services.billing.vat import VatCategory, line_vat, rate_on

    assert rate_on(VatCategory.STANDARD, date(2010, 6, 1)) == 1750
    assert rate_on(VatCategory.STANDARD, date(2011, 1, 3)) == 1750  # last day of 17.5 %
    assert rate_on(VatCategory.STANDARD, date(2011, 1, 4)) == 2000  # first day of 20 %
    assert line_vat(Money(25_000), VatCategory.STANDARD, date(2026, 12, 6)) == Money(5_000)
    assert line_vat(Money(25_000), VatCategory.EXEMPT, date(2026, 12, 6)) == Money(0)
