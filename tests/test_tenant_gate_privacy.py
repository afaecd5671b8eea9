"""The tenant gate in the privacy and patient services (issue 13, item 4), read with ast.

``services/consent`` and ``services/patients`` neither mint a tenant id (``PracticeId(...)``,
``OrganizationId(...)``: only ``services/tenant_gate.py`` does) nor query a model directly
(``Model.filter(...)`` and friends, on a model class or on a registry link's ``model``): their
reads, filters, updates and deletes live in ``db/queries`` functions that take the tenant first.
Creating a row (``Model(...)``/``Model.create``) inside a unit of work stays in the service.

To be folded into ``tests/test_architecture.py`` with the other packages.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("services/consent", "services/patients")
MINTED = {"PracticeId", "OrganizationId"}
QUERY_METHODS = {
    "all",
    "annotate",
    "bulk_create",
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
    "order_by",
    "raw",
    "select_for_update",
    "select_related",
    "prefetch_related",
    "update",
    "update_or_create",
    "using_db",
    "values",
    "values_list",
}
# (module, function) -> why the direct query stays. Keep this list short and each reason true.
ALLOWED: dict[tuple[str, str], str] = {
    ("services/consent/export.py", "_rows"): (
        "reads every patient-linked table, audit_event included (the export's access log); "
        "how board reads are audited is being changed with the audit chain (h/board), so this "
        "audit-reading query moves with that change"
    ),
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    function: str
    what: str


def _model_names(tree: ast.Module) -> set[str]:
    """Classes imported from ``db.models`` (the ORM models, and enums that are never called
    with a query method)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module == "db.models" or str(node.module).startswith("db.models."))
        ):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _is_model(node: ast.expr, models: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in models or node.id == "model"
    if isinstance(node, ast.Attribute):  # link.model, target.model, models.Patient
        return node.attr == "model" or node.attr in models
    return False


class _Walker(ast.NodeVisitor):
    def __init__(self, path: str, models: set[str]) -> None:
        self.path = path
        self.models = models
        self.stack: list[str] = []
        self.found: list[Finding] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        where = self.stack[-1] if self.stack else "<module>"
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in MINTED and isinstance(func, ast.Name | ast.Attribute):
            self.found.append(Finding(self.path, node.lineno, where, f"mints {name}"))
        if (
            isinstance(func, ast.Attribute)
            and func.attr in QUERY_METHODS
            and _is_model(func.value, self.models)
        ):
            self.found.append(
                Finding(self.path, node.lineno, where, f"queries a model: .{func.attr}(")
            )
        self.generic_visit(node)


def findings(source: str, path: str = "<test>") -> list[Finding]:
    tree = ast.parse(source, filename=path)
    walker = _Walker(path, _model_names(tree))
    walker.visit(tree)
    return walker.found


def package_modules() -> list[Path]:
    found = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(found) > 20, "the packages were not found; is ROOT right?"
    return found


def test_privacy_and_patient_services_neither_mint_tenant_ids_nor_query_models() -> None:
    bad: list[str] = []
    used: set[tuple[str, str]] = set()
    for path in package_modules():
        rel = path.relative_to(ROOT).as_posix()
        for finding in findings(path.read_text(encoding="utf-8"), rel):
            key = (finding.path, finding.function)
            if key in ALLOWED and finding.what.startswith("queries"):
                used.add(key)
                continue
            bad.append(f"{finding.path}:{finding.line} in {finding.function}(): {finding.what}")
    assert not bad, "go through services/tenant_gate.py and db/queries:\n" + "\n".join(bad)
    assert used == set(ALLOWED), f"stale allow-list entries: {sorted(set(ALLOWED) - used)}"


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from db.models import Patient\nasync def f(i):\n    await Patient.get(id=i)\n", 1),
        (
            "from db.models import Patient\nasync def f(c, i):\n"
            "    await Patient.select_for_update().using_db(c).get(id=i)\n",
            1,
        ),
        ("async def f(link, i):\n    await link.model.filter(x=i).delete()\n", 1),
        ("from db.tenancy import PracticeId\ndef f(i):\n    return PracticeId(i)\n", 1),
        ("from db import tenancy\ndef f(i):\n    return tenancy.OrganizationId(i)\n", 1),
        ("async def f(row):\n    await row.delete()\n", 0),  # an instance, not a query
        (
            "from db.models import Patient\nasync def f(c):\n    await Patient.create(using_db=c)",
            0,
        ),
        (
            "from db.queries import patients\nasync def f(a, i):\n    await patients.patient(a, i)",
            0,
        ),
    ],
)
def test_the_check_itself(source: str, caught: int) -> None:
    assert len(findings(source)) == caught
