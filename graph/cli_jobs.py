"""``aescrm worker`` and ``aescrm jobs list|retry|cancel``.

The worker runs the job loop in its own process (PostgreSQL in production; any number of them
side by side): SIGTERM or SIGINT stops claiming, lets running jobs finish for
AESCRM_SHUTDOWN_GRACE_SECONDS, then releases what is left back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from typing import Annotated, Any
from uuid import UUID

import typer

jobs_app = typer.Typer(help="List, retry and cancel background jobs.")


def _configured() -> Any:
    from graph.cli import cli_settings
    from graph.settings import jobs_config
    from services.jobs import config

    settings = cli_settings()
    config.configure(jobs_config(settings))
    return settings


def _run(work: Any) -> Any:
    from graph.cli import with_database
    from services.errors import DomainError

    settings = _configured()
    try:
        return with_database(settings, work)
    except (DomainError, ValueError) as error:
        typer.echo(f"error: {getattr(error, 'message', error)}", err=True)
        raise typer.Exit(2) from None


def _job_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter("not a job id", param_hint="JOB_ID") from None


def _as_dict(row: Any) -> dict[str, Any]:
    keys = ("id", "kind", "key", "status", "attempts", "max_attempts", "run_at", "practice_id")
    found = {k: getattr(row, k) for k in (*keys, "created_at", "finished_at", "last_error")}
    return {k: v if v is None or isinstance(v, int) else str(v) for k, v in found.items()}


def worker(
    name: Annotated[
        str | None, typer.Option(help="Worker name in job rows (default: host:pid)")
    ] = None,
) -> None:
    """Run background jobs (and the scheduled ones) until SIGTERM."""
    from graph import allocator
    from graph.app import messaging_config, payment_processor
    from graph.cli import cli_settings, with_database
    from graph.settings import jobs_config
    from services import key_presence
    from services.billing import processor
    from services.jobs import config
    from services.jobs.worker import Worker
    from services.messaging import channels

    settings = cli_settings()
    config.configure(jobs_config(settings, worker_name=name or ""))
    # Handlers send what the server would: the same transports as create_app configures.
    channels.configure(messaging_config(settings))
    processor.configure(payment_processor(settings))
    running = Worker()

    async def work() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, running.stop)
        # Handlers encrypt and decrypt too: the worker learns new keys and reports them.
        keys = await key_presence.start("worker", settings.key_reload_seconds)
        trimming = allocator.keep_heap_small(settings.memory_trim_seconds)
        try:
            await running.run(grace=float(settings.shutdown_grace_seconds))
        finally:
            if trimming is not None:
                trimming.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await trimming
            await key_presence.stop(keys)
        await channels.close()

    with_database(settings, work)
    typer.echo(f"worker stopped after {running.processed} jobs")


@jobs_app.command("list")
def list_jobs(
    status: Annotated[
        str | None, typer.Option(help="QUEUED, RUNNING, DONE, DEAD or CANCELLED")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Jobs, newest first."""
    from services.jobs import admin

    rows = _run(
        lambda: admin.list_for_operator(
            status=status.upper() if status else None, kind=kind, limit=limit
        )
    )
    for row in rows:
        if as_json:
            typer.echo(json.dumps(_as_dict(row)))
        else:
            error = f"  {row.last_error}" if row.last_error else ""
            typer.echo(
                f"{row.id}  {row.status:<9} {row.kind:<32} attempts={row.attempts}/"
                f"{row.max_attempts}  run_at={row.run_at.isoformat()}{error}"
            )


@jobs_app.command("retry")
def retry(job_id: str) -> None:
    """Run a DEAD, CANCELLED or waiting job again now, with fresh attempts."""
    from services.jobs import admin

    row = _run(lambda: admin.retry(None, job_id=_job_id(job_id)))
    typer.echo(f"job {row.id} queued again")


@jobs_app.command("cancel")
def cancel(job_id: str) -> None:
    """Cancel a job that has not run yet (or acknowledge a DEAD one)."""
    from services.jobs import admin

    row = _run(lambda: admin.cancel(None, job_id=_job_id(job_id)))
    typer.echo(f"job {row.id} cancelled")
