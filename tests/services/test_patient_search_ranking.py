"""Ranked name search: the order a reference implementation gives, page by page, on both
engines (fixed ids, so both return the very same ids); PostgreSQL plans use the indexes; the
statements a search costs."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from db.models import Patient, Practice
from db.queries import patients as queries
from db.queries.patient_search import given_part
from db.tenancy import PracticeId
from services.names import fold, search_key
from services.patients.search import criteria
from services.tenant_gate import held_practice
from tests import factories
from tests.sql_counter import count_statements

LAST = ["Smith", "Smith", "Smithson", "Smi", "Smith-Jones", "van der Smit", "Johnson", "John",
        "Jones", "Adams", "Ångström", "O'Brien"]  # fmt: skip
FIRST = ["John", "Alice", "Smith", "Jo", "Johnny", "Zoë", "Ann Marie", "Bob", "Smi"]
TERMS = ["smi", "smith", "john", "jo", "john smi", "smith j", "s", "ang", "zoe smith", "marie",
         "smith smi", "van der", "o'b", "x"]  # fmt: skip


def _expected(rows: list[tuple[uuid.UUID, str]], term: str) -> list[uuid.UUID]:
    """The documented rank, computed without SQL."""
    words = fold(term).split()
    ranked = []
    for pid, name in rows:
        name_words = name.split(" ")
        if not all(any(n.startswith(w) for n in name_words) for w in words):
            continue
        first, given = name_words[0], given_part(name)
        if first in words:
            key: tuple[Any, ...] = (0, name, str(pid))
        elif any(first.startswith(w) for w in words):
            key = (1, name, str(pid))
        elif any(given.startswith(w) for w in words):
            key = (2, given, str(pid))
        else:
            key = (3, name, str(pid))
        ranked.append((key, pid))
    return [pid for _, pid in sorted(ranked)]


async def _people(practice: Practice, count: int, seed: int) -> list[tuple[uuid.UUID, str]]:
    rng = random.Random(seed)
    made = []
    for number in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        preferred = rng.choice([None, None, None, "Jo", "Smithy"])
        pid = uuid.UUID(int=rng.getrandbits(128), version=4)
        await Patient.create(
            id=pid,
            practice_id=practice.id,
            patient_number=number,
            first_name=first,
            last_name=last,
            preferred_name=preferred,
            search_name=search_key(first, last, preferred),
            date_of_birth=date(1980, 1, 1),
            last_activity_at=datetime.now(UTC),
        )
        made.append((pid, search_key(first, last, preferred)))
    return made


async def _paged(pid: PracticeId, term: str, size: int) -> list[uuid.UUID]:
    where = criteria(term)
    assert where is not None
    seen: list[uuid.UUID] = []
    position = None
    while True:
        page = await queries.search([pid], pid, where, after=position, limit=size)
        seen += [p.id for p in page]
        if len(page) < size:
            return seen
        position = await queries.position([pid], pid, page[-1].id)


@pytest.mark.usefixtures("db")
async def test_pages_follow_the_rank_with_no_row_twice_or_missed() -> None:
    practice = await factories.practice()
    rows = await _people(practice, 120, seed=20)
    other = await factories.practice()
    await _people(other, 30, seed=21)  # another practice's namesakes never show
    pid = held_practice(practice.id)

    for term in TERMS:
        expected = _expected(rows, term)
        for size in (1, 3, 50):
            assert await _paged(pid, term, size) == expected, (term, size)
    smi = _expected(rows, "smi")
    names = dict(rows)
    assert names[smi[0]].split(" ")[0] == "smi"  # exact surname first
    assert len(smi) > 10


async def _many(practice: Practice, count: int, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    batch = []
    for number in range(1, count + 1):
        first = rng.choice(FIRST) + str(rng.randint(1, 50))
        last = rng.choice(LAST) + str(rng.randint(1, 500))
        batch.append(
            Patient(
                practice_id=practice.id,
                patient_number=number,
                first_name=first,
                last_name=last,
                search_name=search_key(first, last, None),
                date_of_birth=date(1980, 1, 1),
                last_activity_at=now,
            )
        )
    await Patient.bulk_create(batch, batch_size=2000)


def _node_types(plan: dict[str, Any]) -> list[str]:
    found = [f"{plan['Node Type']} {plan.get('Index Name', plan.get('Relation Name', ''))}"]
    for child in plan.get("Plans", []):
        found += _node_types(child)
    return found


async def test_postgres_reads_every_arm_from_an_index(db: str) -> None:
    """No arm of any kind of name search scans the patient table (12,000 rows, 2 practices)."""
    if not db.startswith("postgres"):
        pytest.skip("plans are PostgreSQL's")
    practice, other = await factories.practice(), await factories.practice()
    await _many(practice, 8000, seed=1)
    await _many(other, 4000, seed=2)
    await Patient._meta.db.execute_script("VACUUM ANALYZE patient")
    pid = held_practice(practice.id)

    for term in ["smi", "smith12", "john", "john smi", "smith j", "s", "smit", "marie"]:
        where = criteria(term)
        assert where is not None
        arms = queries.search_arms(pid, where) if len(where.name_tokens) == 1 else []
        for arm in arms:
            raw = await arm.query.only("id").limit(51).explain()
            document = json.loads(raw[0]["QUERY PLAN"]) if isinstance(raw, list) else raw
            plan = document[0]["Plan"] if isinstance(document, list) else document["Plan"]
            nodes = _node_types(plan)
            assert not [n for n in nodes if n.startswith("Seq Scan")], (term, str(nodes))
            assert any("patient_practice_" in n for n in nodes), (term, nodes)
        if len(where.name_tokens) > 1:  # the one statement the search sends for the arms
            sql, values = queries.several_words_statement(pid, where, after=None, limit=51)
            _, raw = await Patient._meta.db.execute_query(f"EXPLAIN (FORMAT JSON) {sql}", values)
            document = raw[0]["QUERY PLAN"]
            document = json.loads(document) if isinstance(document, str) else document
            nodes = _node_types(document[0]["Plan"])
            assert not [n for n in nodes if n.startswith("Seq Scan")], (term, str(nodes))
            assert any("patient_practice_" in n for n in nodes), (term, nodes)


@pytest.mark.usefixtures("db")
async def test_a_search_costs_one_statement_per_arm_read_or_two_for_several_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    practice = await factories.practice()
    for n in range(6):
        await factories.patient(practice, first_name=f"Ann{n}", last_name="Smith")
    await factories.patient(practice, first_name="Smithy", last_name="Jones")
    pid = held_practice(practice.id)
    one_word, two_words = criteria("smith"), criteria("smith ann")
    assert one_word is not None
    assert two_words is not None

    with count_statements(monkeypatch) as filled_by_exact_surnames:
        first = await queries.search([pid], pid, one_word, after=None, limit=4)
    cursor = (first[-1].search_name, first[-1].id)
    with count_statements(monkeypatch) as every_arm:
        rest = await queries.search([pid], pid, one_word, after=cursor, limit=50)
    with count_statements(monkeypatch) as ids_then_rows:
        both = await queries.search([pid], pid, two_words, after=None, limit=4)

    assert [len(first), len(rest), len(both)] == [4, 3, 4]
    assert len(filled_by_exact_surnames) == 1  # tier 0 fills the page: one ordered slice
    # Tiers 0 and 1 (one slice for one word, from the cursor), the first-name slice, the inner
    # words.
    assert len(every_arm) == 3
    assert len(every_arm.matching('FROM "patient"')) == 3
    # Several words: the ids of every arm in one UNION ALL statement, then the rows.
    assert len(ids_then_rows) == 2
    assert len(ids_then_rows.matching("UNION ALL")) == 1
    cursor = (both[-1].search_name, both[-1].id)
    with count_statements(monkeypatch) as next_page:
        more = await queries.search([pid], pid, two_words, after=cursor, limit=50)
    assert len(more) == 2  # Ann4, Ann5 Smith
    assert len(next_page) == 2
