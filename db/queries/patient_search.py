"""Ranked patient name search as a short sequence of index range scans ("arms").

``search_name`` is the folded "last first preferred" (``services.names.search_key``), collated
"C" on PostgreSQL (migration 0039) so both engines compare code points alike. A search word ``w``
matches a name when it starts one of its words. The rank of a match:

- tier 0, exact surname: the name's first word is ``w``;
- tier 1, surname prefix: the first word starts with ``w``;
- tier 2, others: only later words (first name, preferred name, later surname words) match;

then ``(search_name, id)``, ``id`` unique, which makes keyset paging exact with equal ranks.

Each arm is one contiguous slice of that order, and the slices are disjoint and in order:

- tier 0, one arm per distinct word ``w``, in word order: ``search_name`` in ``[w, w + "!")``,
  i.e. ``w`` alone or followed by a space (no folded name holds a character below ``"!"`` but the
  space: control characters are refused at the edge and ``fold`` collapses whitespace);
- tier 1, one arm per word that no other word is a prefix of: ``[w + "!", after(w))``, minus the
  tier-0 slices of longer words inside it;
- tier 2, one arm: ``LIKE '% w%'`` for every word and no word at the start.

For one word, tiers 0 and 1 touch and are read as one slice, ``[w, after(w))``. Reading the arms
one after another until the page is full gives the ranked page without sorting the whole match
set; a cursor resumes in the arm its row falls in (``arm_of``).

PostgreSQL plans (measured in bench/patient_search.py, see bench/README.md): tier 0 and tier 1
arms are an ``Index Scan using patient_practice_search_name_id`` (practice_id, search_name "C",
id) with both range bounds as index conditions, read in order and stopped by the LIMIT, so
their cost is the page, not the number of matches; the tier-2 arm is a ``Bitmap Index Scan on
patient_practice_name_trgm`` (btree_gin practice_id + trigrams of search_name) and a top-N sort
of that practice's matches, run only when the earlier arms do not fill the page.

A several-word search sends its arms as ONE statement (``several_words``): each arm an ordered
slice of ids cut at the page, tagged with its index, joined by ``UNION ALL`` and ordered by (arm,
key, id), then one statement reads the rows. An arm runs only when the arms before it found
fewer rows than the page (a one-time filter on PostgreSQL), so the statement stops where a
loop of one statement per arm would. Its text is written here rather than built by the ORM
(the ORM's seven queries cost more CPU than PostgreSQL's planning and execution together), and
each other word costs one ``LIKE`` per arm, so planning it is cheaper too (bench/README.md).
Behind PgBouncer, which keeps no prepared statements, every search is planned afresh: the plan
must be cheap to make, not only to run. Where a word is an initial (``_SHORT``, 1-2 letters),
the plan is fixed by the text, not left to the planner's ``LIKE`` estimate: the exact-surname
and the longer word's slices are walked (index-only, the initial tested by a ``LIKE`` no index
offers: their cost is the longer word's rows); the initial's own surname-prefix and first-name
arms, long slices holding few rows of the pair, are read from the trigrams of BOTH words (their
intersection is small), with no btree order or range offered (``|| ''``, ``ILIKE``); the last
arm, words found only inside the name, uses the trigrams too. The longer word never drives an
initial's arm alone ("jones d": ~2,300 heap rechecks of "% jones%" per arm).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pypika_tortoise.terms import Parameterizer
from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from db.models import Patient

__all__ = [
    "Arm",
    "after_prefix",
    "arm_of",
    "arms",
    "given_part",
    "several_words",
    "word_matches",
]

_SPACE_NEXT = "!"  # the smallest character a folded name may hold after a word, but the space
# A word this short (an initial): with several words, its surname-prefix and first-name arms
# are read from its and the other words' trigrams, never walked nor driven by one word alone.
_SHORT = 2


def after_prefix(word: str) -> str | None:
    """The smallest string above every string starting with ``word`` (None: no such bound)."""
    for index in range(len(word) - 1, -1, -1):
        code = ord(word[index]) + 1
        if code == 0xD800:  # surrogates cannot be stored; the next character is U+E000
            code = 0xE000
        if code <= 0x10FFFF:
            return word[:index] + chr(code)
    return None


def _exact_words(words: Sequence[str]) -> list[str]:
    return sorted(set(words))


def _prefix_words(words: Sequence[str]) -> list[str]:
    """The words no other word is a proper prefix of: their tier-1 slices are disjoint."""
    distinct = set(words)
    return sorted(w for w in distinct if not any(v != w and w.startswith(v) for v in distinct))


def word_matches(word: str) -> Q:
    """``word`` starts a word of the name (LIKE wildcards in ``word`` are escaped by the ORM)."""
    return Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")


def _slice(column: str, low: str, high: str | None) -> Q:
    q = Q(**{f"{column}__gte": low})
    return q & Q(**{f"{column}__lt": high}) if high is not None else q


def given_part(search_name: str) -> str:
    """``search_name`` after its first word (the whole name when it has one word), as the
    ``_GIVEN`` expression computes it in SQL."""
    return search_name.split(" ", 1)[1] if " " in search_name else search_name


# The name after its first word: for a one-word surname, "first preferred". PostgreSQL serves
# it from the expression index patient_practice_given_name (migration 0039).
_GIVEN = {
    "postgres": "substr(search_name, strpos(search_name, ' ') + 1)",
    "sqlite": "substr(search_name, instr(search_name, ' ') + 1)",
}


@dataclass(frozen=True, slots=True)
class Arm:
    """One slice of the rank order, ordered by (``key``, id)."""

    query: QuerySet[Patient]
    key: str  # "search_name" or "given"

    def after(self, position: tuple[str, UUID]) -> QuerySet[Patient]:
        """The rows after the keyset ``position``; the ``>=`` is the index's start key."""
        name, last_id = position
        value = name if self.key == "search_name" else given_part(name)
        return self.query.filter(
            Q(**{f"{self.key}__gte": value}), Q(**{f"{self.key}__gt": value}) | Q(id__gt=last_id)
        )


def arm_of(search_name: str, words: Sequence[str]) -> int:
    """The index of the arm whose slice holds a row with this ``search_name``."""
    if not words:
        return 0
    first = search_name.split(" ", 1)[0]
    exact = _exact_words(words)
    if len(exact) == 1:  # one word: its tier-0 and tier-1 slices are one arm
        if first.startswith(exact[0]):
            return 0
        return 1 if given_part(search_name).startswith(exact[0]) else 2
    if first in exact:
        return exact.index(first)
    prefixes = _prefix_words(words)
    for index, word in enumerate(prefixes):
        if first.startswith(word):
            return len(exact) + index
    given = given_part(search_name)
    for index, word in enumerate(prefixes):
        if given.startswith(word):
            return len(exact) + len(prefixes) + index
    return len(exact) + 2 * len(prefixes)


def arms(base: QuerySet[Patient], words: Sequence[str]) -> list[Arm]:
    """The arms of a search of at most one distinct word, in rank order; ``base`` holds every
    other criterion (several words: ``several_words``)."""
    ordered = base.order_by("search_name", "id")
    if not words:
        return [Arm(ordered, "search_name")]
    (only,) = set(words)
    given = base.annotate(given=RawSQL(_GIVEN[Patient._meta.db.capabilities.dialect]))
    not_first = ~Q(search_name__startswith=only)
    return [
        # tiers 0 and 1 touch: one slice, [w, after(w))
        Arm(ordered.filter(_slice("search_name", only, after_prefix(only))), "search_name"),
        Arm(
            given.filter(_slice("given", only, after_prefix(only)), not_first).order_by(
                "given", "id"
            ),
            "given",
        ),
        Arm(
            given.filter(
                Q(search_name__contains=f" {only}"), not_first, ~Q(given__startswith=only)
            ).order_by("search_name", "id"),
            "search_name",
        ),
    ]


def _compiled_where(base: QuerySet[Patient]) -> tuple[str, list[Any]]:
    """``base``'s WHERE text and values, its placeholders numbered from 1 on both engines
    ("$1" on PostgreSQL, "?1" on SQLite), so every arm can reuse them without new values."""
    ids = base.values_list("id")
    ids._choose_db_if_not_chosen()
    ids._make_query()
    parameterizer = Parameterizer()
    context = ids.query.QUERY_CLS.SQL_CONTEXT.copy(parameterizer=parameterizer)
    sql = ids.query.get_sql(context)
    # The text between WHERE and the model's default ORDER BY (every value is a placeholder).
    where = sql.split(" WHERE ", 1)[1].split(" ORDER BY ", 1)[0] if " WHERE " in sql else "TRUE"
    if "?" in where:  # SQLite's placeholders are positional: number them
        parts = where.split("?")
        where = parts[0] + "".join(f"?{n}{part}" for n, part in enumerate(parts[1:], 1))
    return where, list(parameterizer.values)


class _Params:
    """Placeholders numbered in the order the final text uses them, after ``values`` (the base
    criteria's): a value shares one number wherever it recurs, and an arm left out (before the
    cursor's) leaves no unused parameter, which PostgreSQL could not type."""

    def __init__(self, mark: str, values: list[Any]) -> None:
        self.mark, self.values = mark, values
        self._pending: list[Any] = []
        self._tokens: dict[tuple[type, Any], int] = {}

    def __call__(self, value: Any) -> str:
        key = (type(value), value)
        if key not in self._tokens:
            self._tokens[key] = len(self._pending)
            self._pending.append(value)
        return f"\x00{self._tokens[key]}\x00"  # NUL: never in the text of a query

    def numbered(self, text: str) -> str:
        numbers: dict[int, int] = {}

        def number(match: re.Match[str]) -> str:
            token = int(match.group(1))
            if token not in numbers:
                self.values.append(self._pending[token])
                numbers[token] = len(self.values)
            return f"{self.mark}{numbers[token]}"

        return re.sub("\x00(\\d+)\x00", number, text)


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def several_words(
    base: QuerySet[Patient],
    words: Sequence[str],
    start: int,
    after: tuple[str, UUID] | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """The ids of a page of a several-word search as ONE statement: the arms of ``arms`` (same
    order, same slices, ``arm_of`` numbering) from ``start`` on, each an ordered slice cut at
    ``limit`` and tagged with its index, joined by ``UNION ALL`` and ordered by (arm, key, id).

    The text is composed here, not by the ORM: building seven ORM queries cost 2.6-3.1 ms of
    CPU a search, more than PostgreSQL's planning and execution together (bench/README.md);
    ``base``'s criteria are compiled once and every arm reuses their placeholders. Another
    word ``v`` is tested with ONE ``LIKE '% v%'`` (the two-``LIKE`` ``OR`` offered the planner a
    btree-prefix and a trigram path per word per arm), written ``(' ' || search_name) LIKE``,
    which no index offers, so the slice is walked: always in a tier-0 arm (an exact surname's
    slice is short) and wherever ``v`` or the arm's word is an initial or the two are related.
    Only where both have 3 letters or more and neither starts the other is it the trigram
    index's own test (the planner may then drive the arm from ``v``'s trigrams). An initial's
    surname-prefix and first-name arms are read from both words' trigrams instead (long
    slices, rare rows: "ward o" walked 17,690 first-name entries for none, 5.7 ms; the trigram
    intersection is ~40 rows, 1.4 ms), through keys no btree serves. A first word's exclusion
    is a ``substr`` compare, no index condition.

    Arm ``k`` is added to the rows of the arms before it (CTE ``r<k-1>``) only when those number
    fewer than ``limit``: a condition on no column, which PostgreSQL plans as a one-time filter
    that skips the arm's scan. Each arm is wrapped in a derived table (SQLite allows neither
    ORDER BY nor LIMIT on a bare member of a compound select); the same text runs on both
    engines, and the same word shape gives the same text (asyncpg reuses its prepared
    statement). Columns: arm, id, key."""
    postgres = Patient._meta.db.capabilities.dialect == "postgres"
    base_where, values = _compiled_where(base)
    param = _Params("$" if postgres else "?", values)
    given_sql = _GIVEN["postgres" if postgres else "sqlite"]
    exact = _exact_words(words)
    prefixes = _prefix_words(words)
    inner = "CAST(search_name AS VARCHAR)" if postgres else "search_name"

    def others(word: str, walk: bool = False) -> list[str]:  # ``word`` is implied by its slice
        tests = []
        for v in exact:
            if v == word:
                continue
            pattern = param("% " + _like_escape(v) + "%")
            if walk or min(len(v), len(word)) <= _SHORT or v.startswith(word) or word.startswith(v):
                # the slice is walked: no index offers this test
                tests.append(f"(' ' || search_name) LIKE {pattern} ESCAPE '\\'")
            else:  # v is inside; the planner may drive the arm from v's trigrams
                tests.append(f"{inner} LIKE {pattern} ESCAPE '\\'")
        return tests

    def slice_(column: str, low: str, high: str | None) -> list[str]:
        bounds = [f"{column} >= {param(low)}"]
        return bounds + ([f"{column} < {param(high)}"] if high is not None else [])

    def not_starting(column: str, word: str) -> str:
        return f"substr({column}, 1, {param(len(word))}) <> {param(word)}"

    specs: list[tuple[list[str], str]] = []  # (conditions, key column)
    if len(exact) == 1:  # a word repeated: its tier-0 and tier-1 slices touch, as in ``arms``
        specs.append((slice_("search_name", exact[0], after_prefix(exact[0])), "search_name"))
    else:
        for w in exact:
            exact_slice = slice_("search_name", w, w + _SPACE_NEXT)
            specs.append(([*exact_slice, *others(w, walk=True)], "search_name"))

    def unrelated_longer(w: str) -> list[str]:  # the words an initial's rare rows need
        if len(w) > _SHORT:
            return []
        return [v for v in exact if len(v) > _SHORT and not (v.startswith(w) or w.startswith(v))]

    def trigram_tests(w: str, longer: list[str], starting: str) -> list[str]:
        own = f"{inner} {like} {param(starting + _like_escape(w) + '%')} ESCAPE '\\'"
        tests = [f"{inner} LIKE {param('% ' + _like_escape(v) + '%')} ESCAPE '\\'" for v in longer]
        rest = [
            f"(' ' || search_name) LIKE {param('% ' + _like_escape(v) + '%')} ESCAPE '\\'"
            for v in exact
            if v != w and v not in longer
        ]
        return [own, *tests, *rest]

    # ILIKE: a prefix pattern the btree cannot serve, only the trigrams (names are folded)
    like = "ILIKE" if postgres else "LIKE"
    for w in prefixes if len(exact) > 1 else ():
        longer = unrelated_longer(w)
        column = "(search_name || '')" if longer else "search_name"
        conditions = [*slice_(column, w + _SPACE_NEXT, after_prefix(w))]
        conditions += trigram_tests(w, longer, "") if longer else others(w)
        for longer_word in exact:
            if longer_word != w and longer_word.startswith(w):
                bounds = slice_("search_name", longer_word, longer_word + _SPACE_NEXT)
                conditions.append(f"NOT ({' AND '.join(bounds)})")
        specs.append((conditions, column))
    not_first = [not_starting("search_name", w) for w in prefixes]
    for w in prefixes:
        longer = unrelated_longer(w)
        if longer:
            # An initial's first-name slice is long and its rows rare (the other word must be a
            # third word or later): read them from the trigrams of both words, whose
            # intersection is small, never by walking the slice (``|| ''``: no index order).
            key = f"({given_sql} || '')"
            tests = trigram_tests(w, longer, "% ")
            specs.append(([*slice_(key, w, after_prefix(w)), *tests, *not_first], key))
            continue
        specs.append(([*slice_(given_sql, w, after_prefix(w)), *others(w), *not_first], given_sql))
    specs.append(
        (
            [
                *(f"{inner} LIKE {param('% ' + _like_escape(w) + '%')} ESCAPE '\\'" for w in words),
                *not_first,
                *(not_starting(given_sql, w) for w in prefixes),
            ],
            "search_name",
        )
    )
    ctes: list[str] = []
    for index in range(start, len(specs)):
        conditions, key = specs[index]
        if index == start and after is not None:
            name, last_id = after
            value = given_part(name) if given_sql in key else name
            db_id = Patient._meta.fields_map["id"].to_db_value(last_id, Patient)
            conditions = [
                *conditions,
                f"{key} >= {param(value)}",
                f"({key} > {param(value)} OR id > {param(db_id)})",
            ]
        where = " AND ".join([f"({base_where})", *conditions])
        # Every value is a placeholder; the rest is this module's text and integers.
        member = (
            f"SELECT {index} AS arm, id, key FROM (SELECT id, {key} AS key FROM patient "  # noqa: S608
            f"WHERE {where} ORDER BY {key}, id LIMIT {int(limit)}) AS arm{index}"
        )
        if index > start:
            before = f"r{index - 1}"
            member = (
                f"SELECT * FROM {before} UNION ALL {member} "  # noqa: S608
                f"WHERE (SELECT count(*) FROM {before}) < {int(limit)}"
            )
        ctes.append(f"r{index} AS ({member})")
    last = f"r{len(specs) - 1}"
    ranked = f"WITH {', '.join(ctes)} SELECT * FROM {last} ORDER BY 1, 3, 2 LIMIT {int(limit)}"  # noqa: S608
    return param.numbered(ranked), values
