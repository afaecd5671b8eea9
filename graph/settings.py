"""Typed settings from ``AESCRM_*`` environment variables.

Production refuses development defaults so a mis-deployed server fails at start-up, loudly,
instead of quietly serving health data from a laptop-grade configuration.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from db.config import pooled_url, same_server
from realtime.lease import RELAY_KEY_PREFIX
from services.documents.storage import DocumentStore, FileSystemStore, S3Location, S3Store
from services.jobs.config import JobsConfig
from services.policy import Role
from services.runtime import ServiceConfig

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-0123456789"  # noqa: S105 - the known dev default
DEFAULT_DATABASE_URL = "sqlite://var/aescrm.sqlite3"
STAFF_ROLES = (
    Role.SYSTEM_OWNER,
    Role.ORG_ADMIN,
    Role.PRACTICE_ADMIN,
    Role.DENTIST,
    Role.HYGIENIST,
    Role.RECEPTIONIST,
)
BUS_SCHEMES = ("memory://", "redis://", "rediss://", "unix://", "postgres://", "postgresql://")
POSTGRES_BUS = ("postgres://", "postgresql://")
# Patients and partner apps never see the schema's shape in production, whatever the setting.
NEVER_INTROSPECT = frozenset({Role.PATIENT, Role.PARTNER})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AESCRM_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_DATABASE_URL
    # pgbouncer: AESCRM_DATABASE_URL names a transaction-pooling PgBouncer (db.config.pooled_url).
    database_pooler: Literal["none", "pgbouncer"] = "none"
    # The event bus: memory:// (one process), redis://… or postgres://… (LISTEN/NOTIFY).
    broadcast_url: str = "memory://"
    secret_key: str = DEV_SECRET_KEY
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # A stopping worker finishes and answers what it started for this long, then cancels the rest.
    shutdown_grace_seconds: int = Field(default=20, ge=1, le=600)
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Proxies (IPs or CIDR networks, comma-separated, "*" for any) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; empty: the peer address is the client.
    forwarded_allow_ips: str = ""
    public_url: str | None = None  # e.g. https://crm.example.com; else taken from the request
    var_dir: Path = Path("var")

    # GraphQL surface
    graphiql: bool | None = None  # None: on in development, off in production
    introspection: bool | None = None  # None: open in development, roles below in production
    introspection_roles: Annotated[list[Role], NoDecode] = Field(
        default_factory=lambda: list(STAFF_ROLES)
    )
    queries_over_get: bool | None = None  # None: on in development, off in production
    legacy_graphql_ws: bool = False
    # First-party callers (staff, patients, anonymous) too may run only registered documents
    # (`aescrm documents register --first-party`); partner apps are set one by one.
    trusted_documents_first_party: bool = False
    # graph/engine's speed shortcuts over library internals; off: the stock Strawberry/uvicorn paths
    engine_shortcuts: bool = True
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    max_query_depth: int = Field(default=10, ge=2, le=50)
    max_aliases: int = Field(default=30, ge=1, le=500)
    max_tokens: int = Field(default=2000, ge=50)
    max_directives: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_query_cost: int = Field(default=5000, ge=10)
    max_subscriptions_per_connection: int = Field(default=20, ge=1, le=1000)
    ws_init_timeout_seconds: float = Field(default=10.0, gt=0)
    # Per-message deflate: off, because each socket would keep its own zlib state (~40 KB,
    # resident as it sends) and compress every event once per socket; a board's events are
    # small. On: negotiated with clients that offer it.
    ws_compression: bool = False
    max_sockets_per_principal: int = Field(default=20, ge=1)  # per process; then close 1013
    max_sockets_per_address: int = Field(default=200, ge=1)  # per process; then close 1013

    # Real-time events
    event_retention_days: int = Field(default=7, ge=1, le=3650)
    max_replay_events: int = Field(default=5000, ge=1)  # a larger gap answers RESYNC_REQUIRED
    ws_queue_size: int = Field(default=256, ge=1, le=100_000)  # per subscription; then 4008
    relay_enabled: bool = True  # off: this process only serves; another one publishes
    relay_poll_seconds: float = Field(default=1.0, gt=0)
    relay_grace_seconds: float = Field(default=2.0, ge=0)  # unpublished this long: crashed
    # One relay publishes across workers (realtime.lease): a dead leader's lease expires after
    # this long and another worker takes over (renewed every third of it).
    relay_lease_seconds: float = Field(default=3.0, ge=0.3, le=60)
    # The relay's Redis lease key and wake channel start with it: deployments sharing a Redis
    # (each with its own database and outbox) must each have their own, or one's relay holds
    # the lease for both and the other's events are never published.
    relay_key_prefix: str = Field(default=RELAY_KEY_PREFIX, min_length=1)
    # While the bus is down, feeds read the event table on this timer instead of bus wake-ups.
    bus_down_poll_seconds: float = Field(default=3.0, gt=0, le=60)
    # dashboardChanged: at most one event per subscription this often (the last one trailing).
    dashboard_coalesce_seconds: float = Field(default=3.0, gt=0, le=60)

    # Identity
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=90)
    idle_timeout_minutes: int = Field(default=60, ge=1)
    jwt_keys: str | None = None  # "kid:base64secret,..." (last is current); dev derives one
    login_max_failures: int = Field(default=5, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    # Lifetimes of emailed single-use links (invitation; password reset and email change).
    invitation_hours: int = Field(default=72, ge=1, le=24 * 14)
    password_reset_minutes: int = Field(default=30, ge=5, le=24 * 60)
    rate_limit_per_minute: int = Field(default=600, ge=1)
    rate_limit_key_prefix: str = "aescrm:ratelimit:"  # Redis keys (deployments sharing a Redis)
    # Query-cost budgets (graph/budgets.py): units per minute per partner app, and per user (or
    # client address) of first-party traffic (staff, patient portal, online booking), kept in
    # separate buckets so that a partner cannot use up what the practice's own screens need. An
    # operation costs its query cost (graph/limits.py) times the weight of its kind.
    budget_partner_per_minute: int = Field(default=20_000, ge=1)
    budget_first_party_per_minute: int = Field(default=60_000, ge=1)
    budget_read_weight: int = Field(default=1, ge=0, le=1000)  # queries
    budget_write_weight: int = Field(default=10, ge=0, le=1000)  # mutations
    budget_subscribe_weight: int = Field(default=5, ge=0, le=1000)  # charged once, at subscribe
    budget_key_prefix: str = "aescrm:budget:"  # Redis keys (deployments sharing a Redis)

    # Encryption at rest
    encryption_keys: str | None = None
    blind_index_key: str | None = None
    key_reload_seconds: float = Field(default=5.0, gt=0, le=3600)  # key store re-read by servers

    # Documents and images (sealed before they are stored; see services/documents)
    document_store: Literal["file", "s3"] = "file"
    document_dir: Path | None = None  # file store; default: <var_dir>/documents
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # any S3-compatible service; unset: AWS
    s3_region: str = "eu-west-2"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = "documents/"
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    document_link_seconds: int = Field(default=300, ge=10, le=3600)

    # Card payments through Stripe (services/billing/stripe_provider.py); unset: no online card
    # payments (createPaymentIntent answers PROCESSOR_UNAVAILABLE, the webhook 503).
    stripe_secret_key: SecretStr | None = None  # sk_live_… (sk_test_… refused in production)
    stripe_webhook_secret: SecretStr | None = None  # whsec_… of the /webhooks/stripe endpoint
    stripe_api_base: str | None = None  # tests point the client at a local server; never in prod
    stripe_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    stripe_webhook_max_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)

    # Jobs (services/jobs; README "Jobs"): the job table in the database is the queue.
    # None: run jobs inside the server with SQLite (`make run`), not with PostgreSQL (run
    # `aescrm worker` processes instead).
    jobs_in_process: bool | None = None
    jobs_lease_seconds: int = Field(default=60, ge=5, le=3600)
    jobs_concurrency: int = Field(default=10, ge=1, le=500)
    jobs_batch: int = Field(default=100, ge=1, le=5000)
    jobs_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    jobs_schedules: bool = True
    jobs_retention_days: int = Field(default=14, ge=2, le=3650)
    # Messages (services/messaging): SMTP for email, Twilio's API for SMS. Unset: messages are
    # kept by the development channel (``sentMessages``); production fails them instead.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    smtp_pool_size: int = Field(default=10, ge=1, le=100)
    smtp_messages_per_connection: int = Field(default=100, ge=1, le=10_000)
    smtp_idle_seconds: float = Field(default=30.0, gt=0, le=3600)
    mail_from: str = "AES CRM <no-reply@localhost>"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_api_base: str | None = None  # tests point the client at a local server; never in prod
    sms_webhook_max_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)

    # Outbound partner webhooks (services/webhooks): test-only loopback targets over http,
    # the per-attempt timeout, and consecutive failed attempts before an endpoint is disabled.
    webhook_allow_loopback: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_disable_after: int = Field(default=15, ge=1, le=1000)

    access_log: bool = False
    log_level: str = "INFO"
    # Each server and job worker process hands its heap's free pages back this often
    # (graph/allocator; 0: never).
    memory_trim_seconds: float = Field(default=60.0, ge=0, le=3600)

    # Metrics and traces (graph/observability; README "Metrics and traces"). /metrics answers a
    # bearer ``metrics_token``, or (development, no token) loopback callers; ``metrics_port``
    # serves the same series from `aescrm serve`'s parent on ``metrics_host`` (no token there).
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Gauges read from the database and the fan-out (outbox lag, job queue depth, sockets, queues)
    metrics_refresh_seconds: float = Field(default=15.0, gt=0, le=3600)
    tracing_exporter: Literal["none", "console", "otlp"] = "none"
    tracing_otlp_endpoint: str | None = None  # e.g. http://collector:4318/v1/traces

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if self.document_store == "s3" and not self.s3_bucket:
            raise ValueError("AESCRM_DOCUMENT_STORE=s3 needs AESCRM_S3_BUCKET")
        return self

    @model_validator(mode="after")
    def _behind_the_pooler(self) -> Settings:
        if self.database_pooler == "pgbouncer":
            if not self.database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
                raise ValueError("AESCRM_DATABASE_POOLER=pgbouncer needs a PostgreSQL database")
            if self.broadcast_url.startswith(POSTGRES_BUS) and same_server(
                self.broadcast_url, self.database_url
            ):
                raise ValueError(
                    "the postgres:// bus LISTENs, which a transaction-pooling PgBouncer does not "
                    "carry: point AESCRM_BROADCAST_URL at PostgreSQL itself, or use Redis"
                )
            self.database_url = pooled_url(self.database_url)
        return self

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("broadcast_url")
    @classmethod
    def _known_bus(cls, value: str) -> str:
        if not value.startswith(BUS_SCHEMES):
            raise ValueError(
                "must start with memory://, redis://, rediss://, unix:// or postgres://"
            )
        return value

    @field_validator("introspection_roles", mode="before")
    @classmethod
    def _split_roles(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().upper() for item in value.split(",") if item.strip()]
        return value

    @field_validator("introspection_roles")
    @classmethod
    def _staff_only(cls, value: list[Role]) -> list[Role]:
        refused = sorted(NEVER_INTROSPECT.intersection(value))
        if refused:
            raise ValueError(f"introspection is never allowed to {', '.join(refused)}")
        return value

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.is_production) if self.graphiql is None else self.graphiql

    @property
    def introspection_open(self) -> bool:
        """Anyone may introspect; otherwise only holders of ``introspection_roles``."""
        return (not self.is_production) if self.introspection is None else self.introspection

    @property
    def get_queries_enabled(self) -> bool:
        """Queries over GET put their variables (patient ids, names) in URLs and proxy logs."""
        if self.queries_over_get is None:
            return not self.is_production
        return self.queries_over_get

    @property
    def redis_url(self) -> str | None:
        """The Redis the bus uses, shared by the rate limiter; None with an in-memory bus."""
        redis = self.broadcast_url.startswith(("redis://", "rediss://", "unix://"))
        return self.broadcast_url if redis else None

    @property
    def jobs_run_in_process(self) -> bool:
        if self.jobs_in_process is None:
            return self.database_url.startswith("sqlite")
        return self.jobs_in_process

    @property
    def dev_key_file(self) -> Path:
        return self.var_dir / "dev-keys.json"

    def production_problems(self) -> list[str]:
        """Every reason this configuration must not serve production traffic."""
        if not self.is_production:
            return []
        problems: list[str] = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("AESCRM_SECRET_KEY must be set to a random value of 32+ characters")
        if self.database_url.startswith("sqlite"):
            problems.append("AESCRM_DATABASE_URL must point at PostgreSQL, not SQLite")
        if self.broadcast_url.startswith("memory") and self.workers > 1:
            problems.append(
                "AESCRM_BROADCAST_URL must be redis:// or postgres:// when AESCRM_WORKERS > 1 "
                "(an in-memory bus does not reach other processes)"
            )
        if not self.jwt_keys:
            problems.append("AESCRM_JWT_KEYS must be set (token signing keys)")
        if not self.encryption_keys:
            problems.append("AESCRM_ENCRYPTION_KEYS must be set (field encryption keys)")
        if not self.blind_index_key:
            problems.append("AESCRM_BLIND_INDEX_KEY must be set (searchable identifier key)")
        if self.graphiql:
            problems.append("AESCRM_GRAPHIQL must not be enabled in production")
        problems += self._stripe_problems()
        if self.webhook_allow_loopback:
            problems.append(
                "AESCRM_WEBHOOK_ALLOW_LOOPBACK is for tests only; unset it in production"
            )
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if token is not None and len(token) < 32:
            problems.append("AESCRM_METRICS_TOKEN must be a random value of 32+ characters")
        if self.introspection:
            problems.append(
                "AESCRM_INTROSPECTION must not be enabled in production "
                "(staff roles in AESCRM_INTROSPECTION_ROLES may introspect)"
            )
        return problems

    def _stripe_problems(self) -> list[str]:
        problems: list[str] = []
        key = self.stripe_secret_key.get_secret_value() if self.stripe_secret_key else ""
        if key.startswith(("sk_test_", "rk_test_")):
            problems.append(
                "AESCRM_STRIPE_SECRET_KEY must be a live key in production, not a test key"
            )
        if key and not self.stripe_webhook_secret:
            problems.append(
                "AESCRM_STRIPE_WEBHOOK_SECRET must be set when AESCRM_STRIPE_SECRET_KEY is "
                "(payments would never be confirmed)"
            )
        if self.stripe_api_base:
            problems.append("AESCRM_STRIPE_API_BASE is for tests only; unset it in production")
        if self.twilio_api_base:
            problems.append("AESCRM_TWILIO_API_BASE is for tests only; unset it in production")
        if self.smtp_host and self.smtp_tls == "none":
            problems.append("AESCRM_SMTP_TLS=none sends mail in the clear; use starttls or tls")
        return problems


class ConfigurationRefused(RuntimeError):
    """Raised when production settings still carry development defaults."""


def load_settings() -> Settings:
    settings = Settings()
    problems = settings.production_problems()
    if problems:
        raise ConfigurationRefused(
            "refusing to start in production:\n" + "\n".join(f"- {p}" for p in problems)
        )
    return settings


def document_store(settings: Settings) -> DocumentStore:
    """The store sealed documents go to: a directory by default, or an S3-compatible bucket."""
    if settings.document_store == "s3":
        secret = settings.s3_secret_access_key
        return S3Store(
            S3Location(
                bucket=settings.s3_bucket or "",
                endpoint_url=settings.s3_endpoint_url,
                region=settings.s3_region,
                access_key_id=settings.s3_access_key_id,
                secret_access_key=None if secret is None else secret.get_secret_value(),
                prefix=settings.s3_prefix,
            )
        )
    return FileSystemStore(settings.document_dir or settings.var_dir / "documents")


def service_config(settings: Settings) -> ServiceConfig:
    """The part of the settings the service layer needs, without its knowing about env vars."""
    return ServiceConfig(
        production=settings.is_production,
        secret_key=settings.secret_key,
        jwt_keys=settings.jwt_keys,
        access_ttl=timedelta(minutes=settings.access_token_minutes),
        refresh_ttl=timedelta(days=settings.refresh_token_days),
        idle_timeout=timedelta(minutes=settings.idle_timeout_minutes),
        login_max_failures=settings.login_max_failures,
        login_lock=timedelta(minutes=settings.login_lock_minutes),
        invitation_ttl=timedelta(hours=settings.invitation_hours),
        password_reset_ttl=timedelta(minutes=settings.password_reset_minutes),
        encryption_keys=settings.encryption_keys,
        blind_index_key=settings.blind_index_key,
        dev_key_file=None if settings.is_production else settings.dev_key_file,
        webhook_allow_loopback=settings.webhook_allow_loopback,
        webhook_timeout_seconds=settings.webhook_timeout_seconds,
        webhook_disable_after=settings.webhook_disable_after,
    )


def jobs_config(settings: Settings, *, worker_name: str = "") -> JobsConfig:
    """The job runner's part of the settings."""
    return JobsConfig(
        lease=timedelta(seconds=settings.jobs_lease_seconds),
        concurrency=settings.jobs_concurrency,
        batch=settings.jobs_batch,
        poll_seconds=settings.jobs_poll_seconds,
        schedules=settings.jobs_schedules,
        event_retention=timedelta(days=settings.event_retention_days),
        job_retention=timedelta(days=settings.jobs_retention_days),
        worker_name=worker_name,
    )
