"""The ``aescrm`` command line: serve, migrate, seed, inspect and maintain the service."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar
from uuid import UUID

import typer
import uvicorn

from db.config import apply_migrations, close_database, open_database
from graph.logs import configure_logging
from graph.observability import exposition
from graph.server_options import uvicorn_options
from graph.settings import (
    ConfigurationRefused,
    Settings,
    document_store,
    load_settings,
    service_config,
)
from services import runtime
from services.documents import stores as document_stores

app = typer.Typer(help="AES CRM practice-management service.", no_args_is_help=True)
T = TypeVar("T")


def cli_settings() -> Settings:
    """Settings for a command, with logging and the services configured; exit 2 if refused."""
    try:
        settings = load_settings()
    except ConfigurationRefused as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, access_log=settings.access_log)
    runtime.configure(service_config(settings))
    document_stores.configure(document_store(settings))
    return settings


def with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run one command's work with the database (and document store) open, closed after."""

    async def run() -> T:
        await open_database(settings.database_url)
        try:
            return await work()
        finally:
            await document_stores.close()
            await close_database()

    return asyncio.run(run())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (AESCRM_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (AESCRM_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="Processes (AESCRM_WORKERS)")] = None,
) -> None:
    """Serve GraphQL over HTTP and WebSocket."""
    settings = cli_settings()
    processes = workers or settings.workers
    exposition.prepare_multiprocess(settings, processes)  # before any worker starts
    exposition.serve_metrics_port(settings)
    options = uvicorn_options(
        host=host or settings.host,
        port=port or settings.port,
        workers=processes,
        access_log=settings.access_log,
        max_message_bytes=settings.max_body_bytes,
        log_level=settings.log_level,
        graceful_shutdown_seconds=settings.shutdown_grace_seconds,
        engine_shortcuts=settings.engine_shortcuts,
        ws_compression=settings.ws_compression,
    )
    uvicorn.run("graph.app:create_app", **options)


@app.command()
def migrate() -> None:
    """Apply the checked-in database migrations."""
    settings = cli_settings()
    asyncio.run(apply_migrations(settings.database_url, keyring=runtime.keyring()))
    typer.echo("migrations applied")


@app.command("seed-demo")
def seed_demo() -> None:
    """Load demo data into an empty database (does nothing if it is already there)."""
    settings = cli_settings()
    if settings.is_production:
        typer.echo("refusing to load demo data in production", err=True)
        raise typer.Exit(2)
    from graph.cli_progress import steps
    from services import demo

    async def work(progress: Callable[[int, int], None]) -> bool:
        if await demo.is_seeded():
            return False
        await demo.seed(on_progress=progress)
        return True

    with steps("loading demo data") as progress:
        created = with_database(settings, lambda: work(progress))
    typer.echo("demo data loaded" if created else "demo data already present")


@app.command("demo-users")
def demo_users(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """List the demo accounts (email, role, practice and organization ids)."""
    settings = cli_settings()
    from services import demo

    users = with_database(settings, demo.demo_users)
    if as_json:
        typer.echo(json.dumps([_row(u) for u in users], indent=2))
        return
    for user in users:
        typer.echo(f"{user.role:<15} {user.email:<40} practice={user.practice_id or '-'}")
    typer.echo(f"password for every demo account: {demo.DEMO_PASSWORD}")


def _row(user: object) -> dict[str, object]:
    fields = ("email", "role", "name", "practice_id", "organization_id")
    return {name: getattr(user, name) for name in fields}


@app.command("dev-token")
def dev_token(email: str) -> None:
    """Print a ready access token for a demo account (development only)."""
    settings = cli_settings()
    if settings.is_production:
        typer.echo("dev-token is disabled in production", err=True)
        raise typer.Exit(2)
    from services.auth.sessions import dev_token as issue

    typer.echo(with_database(settings, lambda: issue(email)))


@app.command("create-user")
def create_user(
    email: str,
    name: Annotated[str, typer.Option(help="Full name")],
    role: Annotated[str, typer.Option(help="SYSTEM_OWNER, ORG_ADMIN, PRACTICE_ADMIN, ...")],
    practice: Annotated[str | None, typer.Option(help="Practice id (practice roles)")] = None,
    organization: Annotated[str | None, typer.Option(help="Organization id (ORG_ADMIN)")] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="AESCRM_NEW_PASSWORD"
        ),
    ] = "",
) -> None:
    """Create a staff account with one role (MFA enrolment happens at first sign-in)."""
    settings = cli_settings()
    from services.auth.users import create_user as create
    from services.errors import DomainError
    from services.policy import Role

    try:
        user = with_database(
            settings,
            lambda: create(
                email=email,
                full_name=name,
                password=password,
                role=Role(role.upper()),
                practice_id=UUID(practice) if practice else None,
                organization_id=UUID(organization) if organization else None,
            ),
        )
    except (DomainError, ValueError) as error:
        typer.echo(f"error: {getattr(error, 'message', error)}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"created user {user.id} ({user.email})")


@app.command("create-client")
def create_client(
    organization: Annotated[str, typer.Option(help="Owning organization id")],
    name: Annotated[str, typer.Option(help="Partner app name")],
    scope: Annotated[list[str], typer.Option(help="Granted scope, repeatable")],
    practice: Annotated[list[str], typer.Option(help="Practice id it may reach, repeatable")],
) -> None:
    """Register a partner OAuth client; prints its id and secret once."""
    settings = cli_settings()
    from services.auth.clients import register
    from services.errors import DomainError

    try:
        client = with_database(
            settings,
            lambda: register(
                organization_id=UUID(organization),
                name=name,
                scopes=scope,
                practice_ids=[UUID(p) for p in practice],
            ),
        )
    except (DomainError, ValueError) as error:
        typer.echo(f"error: {getattr(error, 'message', error)}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"client_id": client.client_id, "client_secret": client.client_secret}))


@app.command("export-schema")
def export_schema(
    output: Annotated[Path | None, typer.Option(help="File to write; stdout if omitted")] = None,
) -> None:
    """Print the GraphQL SDL (the partner contract, checked in as schema.graphql)."""
    from graph.schema import build_schema

    sdl = build_schema(Settings()).as_str() + "\n"
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl)


@app.command("export-format-schema")
def export_format_schema(
    output: Annotated[Path | None, typer.Option(help="File to write; stdout if omitted")] = None,
) -> None:
    """Print the JSON Schema of patient exports (checked in as export.schema.json)."""
    from services.consent import export_format

    text = export_format.schema_text()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)


@app.command()
def check() -> None:
    """Check configuration and reachability of the database and bus; exit 1 on any problem."""
    settings = cli_settings()
    from graph.readiness import readiness

    report = asyncio.run(readiness(settings))
    for name, ok in report.items():
        typer.echo(f"{name:<10} {'ok' if ok else 'FAILED'}")
    if not all(report.values()):
        raise typer.Exit(1)


@app.command("prune-events")
def prune_events() -> None:
    """Delete domain events older than AESCRM_EVENT_RETENTION_DAYS (run daily)."""
    settings = cli_settings()
    from datetime import timedelta

    from graph.cli_progress import steps
    from services import watch_access

    retention = timedelta(days=settings.event_retention_days)
    with steps("pruning events") as progress:
        deleted = with_database(settings, lambda: watch_access.prune(retention, on_batch=progress))
    typer.echo(f"pruned {deleted} events older than {settings.event_retention_days} days")


@app.command("sweep-documents")
def sweep_documents(
    apply: Annotated[
        bool, typer.Option("--apply", help="Delete them (default: only count)")
    ] = False,
    grace_minutes: Annotated[
        int, typer.Option("--grace-minutes", min=5, help="Leave blobs younger than this")
    ] = 60,
) -> None:
    """Find (and with --apply delete) stored document blobs that no document row names."""
    settings = cli_settings()
    from datetime import timedelta

    from graph.cli_progress import per_name
    from services.documents import sweep

    with per_name("document blobs") as progress:
        report = with_database(
            settings,
            lambda: sweep.sweep(
                apply=apply, grace=timedelta(minutes=grace_minutes), on_batch=progress
            ),
        )
    verb = "deleted" if apply else "would delete (run with --apply)"
    typer.echo(
        f"examined {report.examined} blobs; {report.orphaned} orphaned; "
        f"{verb} {report.deleted if apply else report.orphaned}"
    )


@app.command("expire-holds")
def expire_holds() -> None:
    """Release expired slot holds; announce each as slot.released (EXPIRED).

    Meant for a cron job or systemd timer, e.g. every minute.
    Expired holds already stop blocking and leave the board at once;
    this also announces expiries where nothing else was written since.
    Safe to run repeatedly and from several hosts at once.
    """
    settings = cli_settings()
    from services.scheduling import holds

    released = with_database(settings, holds.expire_all)
    typer.echo(f"released {released} expired holds")


@app.command("verify-audit")
def verify_audit(
    checkpoint: Annotated[
        Path | None, typer.Option(help="Checkpoint file to check against")
    ] = None,
) -> None:
    """Verify every audit hash chain; report the first broken link."""
    settings = cli_settings()
    from services import audit_integrity

    problems = with_database(
        settings, lambda: audit_integrity.verify(checkpoint.read_text() if checkpoint else None)
    )
    for line in problems.lines:
        typer.echo(line)
    if not problems.ok:
        raise typer.Exit(1)


@app.command("verify-ledger")
def verify_ledger(
    practice: Annotated[
        str | None, typer.Option(help="Only this practice's ledger (its id)")
    ] = None,
) -> None:
    """Verify every practice's financial ledger; report the first broken link."""
    settings = cli_settings()
    from uuid import UUID

    from services.billing import ledger_integrity

    try:
        practice_id = UUID(practice) if practice else None
    except ValueError:
        raise typer.BadParameter("not a practice id", param_hint="--practice") from None
    report = with_database(settings, lambda: ledger_integrity.verify(practice_id))
    for line in report.lines:
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@app.command("audit-checkpoint")
def audit_checkpoint(
    output: Annotated[Path | None, typer.Option(help="File to write; stdout if omitted")] = None,
) -> None:
    """Export signed audit chain heads, to be kept outside the database."""
    settings = cli_settings()
    from services import audit_integrity

    document = with_database(settings, audit_integrity.checkpoint)
    if output is None:
        typer.echo(document)
    else:
        output.write_text(document)


@app.command("rotate-keys")
def rotate_keys(
    add_key: Annotated[
        bool,
        typer.Option("--add-key", help="Step 1: add a new key, known but not yet current"),
    ] = False,
    promote: Annotated[
        str | None,
        typer.Option("--promote", metavar="KEY_ID", help="Step 2: make an added key current"),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per batch", min=1, max=10_000)] = 500,
    check: Annotated[bool, typer.Option("--check", help="Only count rows under old keys")] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Promote even if a running process does not know the key"),
    ] = False,
) -> None:
    """Rotate the field-encryption key in three steps, while the service keeps serving.

    Step 1, `rotate-keys --add-key`: a new key is added as known but not current, so nothing
    is written with it yet. Development: it goes into the dev key file, which running servers
    re-read every AESCRM_KEY_RELOAD_SECONDS. Production (or AESCRM_ENCRYPTION_KEYS set): the new
    AESCRM_ENCRYPTION_KEYS value is printed; deploy it to every server (rolling restart).
    Step 2, `rotate-keys --promote KEY_ID`, once every server knows the key: it becomes current.
    Every running server and job worker reports the key ids it holds to the database; the step is
    refused (exit 1, naming them) while a live one does not hold the key (`--force` overrides).
    Development: the command waits until running servers have re-read the key file (before and
    after the change). Production: deploy the printed setting. Step 3, `rotate-keys`:
    re-encrypt every encrypted column with the current key in batches. Rows are
    compare-and-set, so live edits are never lost; an interrupted run is resumed by running it
    again. When `--check` reports 0, old keys may be removed. The blind-index key never rotates.
    """
    settings = cli_settings()
    from services.patients import key_rotation

    if add_key and promote:
        typer.echo("give at most one of --add-key and --promote", err=True)
        raise typer.Exit(2)
    dev_file = settings.dev_key_file
    in_environment = settings.is_production or settings.encryption_keys or not dev_file.exists()
    if add_key or promote:
        from db.crypto import KeyConfigurationError

        try:
            if in_environment:
                if promote:
                    key_rotation.promoted_ring(promote)  # refuses a key the ring does not hold
                    _refuse_unless_every_process_knows(settings, promote, force=force)
                _print_key_setting(promote)
            elif promote:
                _promote_dev_key(settings, dev_file, promote, force=force)
            else:
                _, key_id = key_rotation.stage_dev_key(dev_file)
                typer.echo(
                    f"added key {key_id} to {dev_file}, known but not current; running servers "
                    f"learn it within {settings.key_reload_seconds:g}s; then run "
                    f"`aescrm rotate-keys --promote {key_id}`"
                )
        except KeyConfigurationError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        return
    if check:
        remaining = with_database(settings, key_rotation.pending)
        typer.echo(f"rows under older keys: {remaining}")
        raise typer.Exit(1 if remaining else 0)

    from graph.cli_progress import per_name

    with per_name("re-encrypted rows of") as progress:
        report = with_database(
            settings, lambda: key_rotation.rotate(batch_size=batch_size, on_batch=progress)
        )
    for table, rewritten in sorted(report.rewritten.items()):
        if rewritten:
            typer.echo(f"{table}: {rewritten} rows re-encrypted")
    typer.echo(
        f"done: {report.total} rows now under key {report.key_id}"
        + (f"; {report.skipped_busy} busy rows left, run again" if report.skipped_busy else "")
    )


def _print_key_setting(promote: str | None) -> None:
    """Keys in the environment: nothing is stored, the operator deploys the printed setting."""
    from db.crypto import ENCRYPTION_KEYS_SETTING, serialise_keys
    from services.patients import key_rotation

    if promote is None:
        ring, key_id = key_rotation.staged_ring()
        step, then = "added (known, not current)", f"`aescrm rotate-keys --promote {key_id}`"
    else:
        ring, key_id = key_rotation.promoted_ring(promote), promote
        step, then = "promoted to current", "`aescrm rotate-keys` with this setting"
    typer.echo(
        f"key {key_id} {step}; deploy this setting to every server, then run {then}:", err=True
    )
    typer.echo(f"{ENCRYPTION_KEYS_SETTING}={serialise_keys(ring)}")


def _refuse_unless_every_process_knows(settings: Settings, key_id: str, *, force: bool) -> None:
    """Exit 1 while a live server or worker does not hold ``key_id`` (it could not read it)."""
    from services import key_presence

    alive, lagging = with_database(settings, lambda: key_presence.missing(key_id))
    if not lagging:
        said = f"all {alive} running processes know key {key_id}"
        typer.echo(said if alive else "no running process has reported its keys", err=True)
        return
    listed = "\n".join(
        f"  {p.process} ({p.kind}, reported {p.seen_seconds_ago:.0f}s ago): holds "
        + ", ".join(p.key_ids)
        for p in lagging
    )
    if force:
        typer.echo(
            f"warning (--force): {len(lagging)} of {alive} running processes do not know key "
            f"{key_id} and cannot read what is written with it:\n{listed}",
            err=True,
        )
        return
    longest = max(p.expires_in_seconds for p in lagging)
    typer.echo(
        f"refused: {len(lagging)} of {alive} running processes do not know key {key_id} yet:\n"
        f"{listed}\n"
        "Deploy the setting that adds the key to them (rolling restart) and run this again. "
        "A process killed without a clean stop keeps counting until its report expires "
        f"(within {longest:.0f}s if none of these reports again); --force promotes anyway.",
        err=True,
    )
    raise typer.Exit(1)


def _promote_dev_key(settings: Settings, dev_file: Path, key_id: str, *, force: bool) -> None:
    """Promote in the dev key file, waiting for running servers to read it before and after.

    Servers re-read the file every AESCRM_KEY_RELOAD_SECONDS; two intervals leave room for a
    check that was just starting.
    """
    from services.patients import key_rotation

    settle = 2 * settings.key_reload_seconds
    if key_id == runtime.keyring().current_key_id:
        typer.echo(f"key {key_id} is already current")
        return
    key_rotation.promoted_ring(key_id)  # refuses a key the ring does not hold
    since = key_rotation.seconds_since(dev_file, "staged", key_id)
    if since is not None and since < settle:
        typer.echo(f"waiting {settle - since:.1f}s for running servers to learn key {key_id}")
        time.sleep(settle - since)
    _refuse_unless_every_process_knows(settings, key_id, force=force)
    key_rotation.promote_dev_key(dev_file, key_id)
    typer.echo(f"waiting {settle:g}s for running servers to switch to key {key_id}")
    time.sleep(settle)
    typer.echo(f"key {key_id} is current; now run `aescrm rotate-keys`")


@app.command()
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what is due; change nothing")
    ] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Anonymise what is due (audited)")] = False,
) -> None:
    """Anonymise records past their retention period (policy table per jurisdiction)."""
    if dry_run == apply:
        typer.echo("give exactly one of --dry-run or --apply", err=True)
        raise typer.Exit(2)
    settings = cli_settings()
    from graph.cli_progress import steps
    from services.consent import retention as retention_service

    with steps("retention: patients") as progress:
        report = with_database(
            settings, lambda: retention_service.run(apply=apply, on_progress=progress)
        )
    for line in report.lines():
        typer.echo(line)


@app.command("lock-stale-notes")
def lock_stale_notes() -> None:
    """Lock clinical note drafts older than their practice's auto-lock period (run daily).

    Each lock stores the text's hash and is audited; safe to run repeatedly.
    """
    settings = cli_settings()
    from graph.cli_progress import steps
    from services.clinical import note_locking

    with steps("lock stale notes") as progress:
        report = with_database(settings, lambda: note_locking.lock_stale(on_progress=progress))
    for note_id in report.locked:
        typer.echo(f"locked note {note_id}")
    typer.echo(f"locked {len(report.locked)} stale drafts")


def _register_privacy_commands() -> None:
    from graph.cli_privacy import export_patient, hold_app

    app.add_typer(hold_app, name="legal-hold")
    app.command("export-patient")(export_patient)


_register_privacy_commands()


def _register_job_commands() -> None:
    from graph.cli_jobs import jobs_app, worker

    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker)


_register_job_commands()


def _register_schema_commands() -> None:
    from graph.cli_schema import schema_app

    app.add_typer(schema_app, name="schema")


_register_schema_commands()


def _register_document_commands() -> None:
    from graph.cli_documents import documents_app

    app.add_typer(documents_app, name="documents")


_register_document_commands()

if __name__ == "__main__":
    app()
