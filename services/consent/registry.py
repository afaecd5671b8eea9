"""Patient-linked tables, discovered from the Tortoise model registry rather than listed.

A table is patient-linked when it has a foreign key (or one-to-one) to ``Patient``, or a
``patient_id`` column holding patient ids without one (audit log, outbox, portal memberships).
Export and erasure walk this list, so a new table is covered (or fails a test) automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import Tortoise
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.models import Model

from db.models import Patient


@dataclass(frozen=True, slots=True)
class Link:
    model: type[Model]
    column: str  # the column holding the patient id

    @property
    def table(self) -> str:
        return str(self.model._meta.db_table)


def _models() -> list[type[Model]]:
    apps = Tortoise.apps or {}
    found = [model for app in apps.values() for model in app.values()]
    return sorted(found, key=lambda m: str(m._meta.db_table))


def patient_links() -> list[Link]:
    links: list[Link] = []
    for model in _models():
        if model is Patient:
            links.append(Link(model, "id"))
            continue
        meta = model._meta
        for name, field in meta.fields_map.items():
            relation = isinstance(field, ForeignKeyFieldInstance | OneToOneFieldInstance)
            if relation and getattr(field, "related_model", None) is Patient:
                links.append(Link(model, f"{name}_id"))
            elif name == "patient_id" and name not in meta.fk_fields and not relation:
                source = getattr(field, "source_field", None)
                if source is None and name not in {f"{fk}_id" for fk in meta.fk_fields}:
                    links.append(Link(model, name))
    unique: dict[tuple[str, str], Link] = {(link.table, link.column): link for link in links}
    return list(unique.values())


def patient_linked_tables() -> set[str]:
    return {link.table for link in patient_links()}
