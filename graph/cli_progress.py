"""Progress bars for long CLI jobs (retention, key rotation, exports), on stderr.

Stdout stays the job's result (one line per action, or JSON), so scripts can still parse it;
an operator watching a terminal sees each job move. Without a terminal, the final state of each
bar is printed once when the job ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


@contextmanager
def steps(description: str) -> Iterator[Callable[[int, int], None]]:
    """A bar told ``(done, total)`` as the job goes."""
    with _progress() as progress:
        task = progress.add_task(description, total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield report


@contextmanager
def per_name(description: str) -> Iterator[Callable[[str, int], None]]:
    """One bar per name (a table), advanced by a count as batches finish; totals unknown."""
    with _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def report(name: str, count: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"{description} {name}", total=None)
            progress.advance(tasks[name], count)

        yield report
