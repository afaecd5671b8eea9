"""Figures that are columns of whole numbers per key — money per currency, takings per
(method, practitioner, currency), members per plan — for the money reports.

Money never mixes currencies, so a money figure is a set of keyed rows rather than one number:
adding two ``Sums`` adds row by row under the same key, so the organisation's combined figure
and a period's total are exactly the sums of their parts, and a coarser view (``by``) is the sum
of the finer rows it merges. Amounts are integer minor units; nothing here is a float.

Stock figures (deposits held, members at a bucket's end) are running totals of their changes
from an opening level (``running``): each bucket's level is the opening plus every change so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sums:
    """Whole-number columns per key, the keys in sorted order."""

    rows: tuple[tuple[Key, tuple[int, ...]], ...] = ()

    @classmethod
    def of(cls, found: Mapping[Key, Sequence[int]]) -> Sums:
        return cls(tuple(sorted((k, tuple(v)) for k, v in found.items())))

    @classmethod
    def adding(cls, rows: Iterable[tuple[Key, Sequence[int]]]) -> Sums:
        """Rows added up by key (two rows of one key become their sum)."""
        merged: dict[Key, list[int]] = {}
        for key, values in rows:
            have = merged.get(key)
            if have is None:
                merged[key] = list(values)
            else:
                merged[key] = [a + b for a, b in zip(have, values, strict=True)]
        return cls.of(merged)

    def __add__(self, other: Sums) -> Sums:
        return Sums.adding((*self.rows, *other.rows))

    @classmethod
    def sum_of(cls, items: Iterable[Sums]) -> Sums:
        """Many added at once: one merge and one sort."""
        return cls.adding(row for item in items for row in item.rows)

    def __sub__(self, other: Sums) -> Sums:
        return self + Sums(tuple((k, tuple(-v for v in vs)) for k, vs in other.rows))

    def by(self, *positions: int) -> Sums:
        """The rows summed over a coarser key: the key's parts at ``positions``."""
        return Sums.adding((tuple(k[p] for p in positions), v) for k, v in self.rows)

    def get(self, key: Key, width: int) -> tuple[int, ...]:
        """The columns under ``key`` (``width`` zeros when there is none)."""
        for k, v in self.rows:
            if k == key:
                return v
        return (0,) * width

    def nonzero(self) -> list[tuple[Key, tuple[int, ...]]]:
        """The rows with anything in them (a plan whose members all left is still shown while
        it had a move in the bucket, not after)."""
        return [(k, v) for k, v in self.rows if any(v)]


def running(opening: Sums, changes: Sequence[Sums]) -> list[Sums]:
    """The level at each bucket's end: ``opening`` plus every change up to that bucket."""
    levels: list[Sums] = []
    level = opening
    for change in changes:
        level = level + change
        levels.append(level)
    return levels


EMPTY = Sums()  # frozen: one instance serves every default
