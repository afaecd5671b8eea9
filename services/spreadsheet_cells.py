"""Text bound for a spreadsheet (a CSV export) made safe to open.

Spreadsheet programs run a cell that starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: "CSV injection"), so a practice or patient name typed as ``=HYPERLINK(…)``
would run on the accountant's machine. Such text is prefixed with a quote, which the
spreadsheet shows as text. Only text goes through here: numbers are written by the exporter
itself (a negative amount must stay a number).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    return "'" + text if text[:1] in FORMULA_STARTS else text
