"""The tenant gate in ``services/scheduling`` (issue 13, item 4), read from the source (ast).

Nothing there mints a ``PracticeId``/``OrganizationId`` (``services/tenant_gate.py`` does), and
nothing queries a model directly: reads, updates and deletes go through ``db/queries`` helpers
that take the tenant first. Creating rows (``create``, ``bulk_create``, ``save``) stays in the
services, inside their unit of work. The board read path (``board.py``, ``live.py``) is being
reworked separately and is checked once it lands.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "services" / "scheduling"
NOT_YET = {"board.py", "live.py"}
MINTED = {"PracticeId", "OrganizationId"}
# Model (class) methods that read, change or delete rows; creating stays in the services.
QUERY_METHODS = {
    "all",
    "annotate",
    "bulk_update",
    "count",
    "delete",
    "distinct",
    "exclude",
    "exists",
    "filter",
    "first",
    "get",
    "get_or_create",
    "get_or_none",
    "in_bulk",
    "limit",
    "only",
    "order_by",
    "prefetch_related",
    "raw",
    "select_for_update",
    "select_related",
    "update",
    "update_or_create",
    "using_db",
    "values",
    "values_list",
}


def modules() -> list[Path]:
    found = [p for p in sorted(PACKAGE.glob("*.py")) if p.name not in NOT_YET]
    assert len(found) > 15, "services/scheduling was not found; is ROOT right?"
    return found


def model_names(tree: ast.Module) -> set[str]:
    """Names bound to model classes: imported from ``db.models``, or parameters typed
    ``type[...]`` (a model passed in)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("db.models"):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.arg) and isinstance(node.annotation, ast.Subscript):
            base = node.annotation.value
            if isinstance(base, ast.Name) and base.id == "type":
                names.add(node.arg)
    return names


def _is_model(receiver: ast.expr, models: set[str]) -> bool:
    if isinstance(receiver, ast.Name):
        return receiver.id in models
    # ``type(row).filter(...)``: the class of a row in hand
    return (
        isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Name)
        and receiver.func.id == "type"
    )


def offences(source: str, name: str) -> list[str]:
    tree = ast.parse(source, filename=name)
    models = model_names(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in MINTED:
            found.append((node.lineno, f"mints {func.id}"))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in QUERY_METHODS
            and _is_model(func.value, models)
        ):
            found.append((node.lineno, f"queries {ast.unparse(func)}"))
    return [f"{name}:{line} {what}" for line, what in sorted(found)]


def test_scheduling_mints_no_tenant_id_and_queries_no_model_directly() -> None:
    found = [o for path in modules() for o in offences(path.read_text("utf-8"), path.name)]
    assert found == []


def test_the_check_sees_what_it_forbids() -> None:
    """The checker itself: each forbidden form is reported, creating rows is not."""
    source = """
from db.models import Appointment, SlotHold as Hold
from db.tenancy import PracticeId

async def f(model: type[Hold], row: Appointment, raw: object) -> None:
    PracticeId(raw)
    await Appointment.filter(id=1).first()
    await Hold.get_or_none(id=1)
    await model.exists(id=1)
    await type(row).filter(id=row.id).delete()
    await Appointment.create(id=1)
    await Hold.bulk_create([])
    await row.save()
"""
    assert offences(source, "m.py") == [
        "m.py:6 mints PracticeId",
        "m.py:7 queries Appointment.filter",
        "m.py:8 queries Hold.get_or_none",
        "m.py:9 queries model.exists",
        "m.py:10 queries type(row).filter",
    ]
