"""What is kept of a handler's exception in ``job.last_error``: short and without personal data.

The full exception goes to the log; the row, shown to practice admins, keeps the exception's
class and its message with e-mail addresses, phone-like numbers and long tokens masked.
"""

from __future__ import annotations

import re

MAX_LENGTH = 300
_EMAIL = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+")
_NUMBER = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{32,}")


def describe(error: BaseException) -> str:
    message = str(error)
    message = _EMAIL.sub("<email>", message)
    message = _NUMBER.sub("<number>", message)
    message = _TOKEN.sub("<token>", message)
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"
