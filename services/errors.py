"""The domain's expected failures. Each maps to one stable GraphQL error code in ``graph.errors``.

Messages are written for people and never carry patient data.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Absent, or not the caller's: both answer the same so existence never leaks."""

    code = "NOT_FOUND"

    def __init__(self, entity: str = "Object") -> None:
        super().__init__(f"{entity} not found.")


class Conflict(DomainError):
    code = "CONFLICT"


class ValidationFailed(DomainError):
    code = "BAD_USER_INPUT"


class PolicyDenied(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class MfaRequired(DomainError):
    """Credentials were right; a second factor (or enrolment) is still needed."""

    code = "MFA_REQUIRED"


class AccountLocked(DomainError):
    code = "ACCOUNT_LOCKED"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many failed attempts. Try again later.")
        self.retry_after_seconds = retry_after_seconds


class ResyncRequired(DomainError):
    code = "RESYNC_REQUIRED"


class RateLimited(DomainError):
    code = "RATE_LIMITED"


class PersistedDocumentNotFound(DomainError):
    """A ``documentId`` not registered for the caller (or for anyone: the same answer)."""

    code = "PERSISTED_DOCUMENT_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("No trusted document has this id; register it first.")


class TrustedDocumentRequired(DomainError):
    """The caller may run only registered documents and sent an ad-hoc ``query``."""

    code = "TRUSTED_DOCUMENT_REQUIRED"

    def __init__(self) -> None:
        super().__init__("Only registered documents may run here: send a documentId.")
