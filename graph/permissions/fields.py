"""``@requires(scopes: [...])``: one declaration that both prints in the SDL and is enforced.

The check is made against the practice of the object being resolved when it has one, so a
user who is a dentist in practice A and a receptionist in practice B reads clinical fields of A
only. Denials resolve the (nullable) field to null with FORBIDDEN and are audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from graph.errors import PermissionDenied
from services.policy import Scope

ScopeEnum = strawberry.enum(Scope, name="Scope", description="A permission a caller may hold.")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    name="requires",
    description="The caller needs every listed scope (in the object's practice) to read this.",
)
class Requires:
    scopes: list[ScopeEnum]  # type: ignore[valid-type]


class HasScope(BasePermission):
    message = "You do not have permission to access this field."
    error_class = PermissionDenied
    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, *scopes: Scope) -> None:
        self.scopes = scopes
        self._directive = Requires(scopes=list(scopes))

    @property
    def schema_directive(self) -> object:
        return self._directive

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        context = info.context
        facts = source_facts(source)
        allowed = self.decide(context.principal, facts)
        if not allowed:
            context.audit.denied(
                field=f"{info.path.typename}.{info.field_name}",
                scopes=[scope.value for scope in self.scopes],
                patient_id=facts.patient_id,
                practice_id=facts.practice_id,
            )
        return allowed

    def decide(self, principal: Any, facts: SourceFacts) -> bool:
        """The decision, from the principal and the source's facts alone."""
        allowed = all(principal.has_scope(scope, facts.practice_id) for scope in self.scopes)
        if allowed and principal.is_patient and not facts.missing:
            # A patient's scopes apply to their own record only.
            allowed = facts.patient_id is not None and facts.patient_id in principal.patient_ids
        if allowed and facts.patient_hidden:
            allowed = False  # services.visibility said no for this patient: no scope overrides
        return allowed

    def decision_keys(self, context: Any) -> Callable[[Any], object]:
        """The facts :meth:`decide` reads from a source: equal keys, equal outcomes.

        Lets a bulk executor check a board of one practice once instead of per row. The patient
        is read only for patient principals (their own records only), so for anyone else it is
        left out of the key and one practice's rows share one decision.
        """
        if context.principal.is_patient:
            return source_facts
        return staff_decision_key


def staff_decision_key(source: Any) -> object:
    """What :meth:`HasScope.decide` reads for a principal that is not a patient (the patient
    left out): a plain tuple, built once per board row, so it is kept to the bare reads."""
    return (
        source is None,
        getattr(source, "practice_id", None),
        bool(getattr(source, "patient_hidden", False)),
    )


class SourceFacts(NamedTuple):
    """Everything a field check reads from the object being resolved."""

    missing: bool
    practice_id: Any
    patient_id: Any
    patient_hidden: bool


def source_facts(source: Any) -> SourceFacts:
    return SourceFacts(
        source is None,
        getattr(source, "practice_id", None),
        getattr(source, "patient_id", None),
        bool(getattr(source, "patient_hidden", False)),
    )


def requires(*scopes: Scope) -> list[FieldExtension]:
    """Field extensions for ``strawberry.field(extensions=requires(Scope.X))``."""
    return [PermissionExtension(permissions=[HasScope(*scopes)])]


def declared_scopes(field: Any) -> tuple[Scope, ...]:
    """The scopes a schema field declares (used by the generated permission matrix)."""
    for extension in getattr(field, "extensions", []) or []:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, HasScope):
                    return permission.scopes
    return ()


def enforce_as(field: Any, info: Any) -> None:
    """Apply ``field``'s ``@requires`` to the field being resolved at ``info``, at the root
    (no source object), exactly as it runs on ``field`` itself: same decision, same audited
    denial, same FORBIDDEN. For fields that answer on another field's behalf (``node``)."""
    for extension in getattr(field, "extensions", []) or []:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if not permission.has_permission(None, info):
                    permission.on_unauthorized()
