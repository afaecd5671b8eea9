"""Patient-linked tables, discovered from the Tortoise model registry rather than listed.

A table is patient-linked when it has a foreign key (or one-to-one) to ``Patient``, or a
``patient_id`` column holding patient ids without one (audit log, outbox, portal memberships).
History and detail tables hanging off such a table (an appointment's changes, resources and
occupancy rows) are patient-linked through it: their ``column`` is a relation path such as
``appointment__patient_id``, which Tortoise filters on directly.
Export and erasure walk this list, so a new table is covered (or fails a test) automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import Tortoise
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.models import Model

from db.models import Patient

# Tables found by their own ``patient_id`` column that hold no rows of their own to follow
# (nothing hangs off an audit row, an event or a membership).
_NOT_FOLLOWED = frozenset({"audit_event", "domain_event", "membership"})


@dataclass(frozen=True, slots=True)
class Link:
    model: type[Model]
    column: str  # the column (or relation path) holding the patient id

    @property
    def table(self) -> str:
        return str(self.model._meta.db_table)

    @property
    def indirect(self) -> bool:
        return "__" in self.column


def _models() -> list[type[Model]]:
    apps = Tortoise.apps or {}
    found = [model for app in apps.values() for model in app.values()]
    return sorted(found, key=lambda m: str(m._meta.db_table))


def _relations(model: type[Model]) -> list[tuple[str, type[Model]]]:
    fields = model._meta.fields_map.items()
    return [
        (name, field.related_model)
        for name, field in fields
        if isinstance(field, ForeignKeyFieldInstance | OneToOneFieldInstance)
    ]


def _direct(model: type[Model]) -> list[Link]:
    if model is Patient:
        return [Link(model, "id")]
    meta = model._meta
    links = [Link(model, f"{name}_id") for name, target in _relations(model) if target is Patient]
    if "patient_id" in meta.fields_map and "patient" not in meta.fk_fields:
        links.append(Link(model, "patient_id"))
    return links


def patient_links() -> list[Link]:
    models = _models()
    links = [link for model in models for link in _direct(model)]
    parents = {link.model: link for link in links if link.model is not Patient}
    for model in models:  # one hop: tables whose rows belong to a patient-linked row
        if model in parents:
            continue
        for name, target in _relations(model):
            parent = parents.get(target)
            if parent is not None and parent.table not in _NOT_FOLLOWED and not parent.indirect:
                links.append(Link(model, f"{name}__{parent.column}"))
    unique: dict[tuple[str, str], Link] = {(link.table, link.column): link for link in links}
    return list(unique.values())


def patient_linked_tables() -> set[str]:
    return {link.table for link in patient_links()}
