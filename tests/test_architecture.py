"""Layering rules from DESIGN.md §1, enforced by reading every module's imports (ast, no import).

graph → services, db, realtime; services → db, realtime; realtime → db; db → nothing of ours.
Only graph speaks strawberry/starlette. Only services/auth/tokens.py touches JOSE libraries, and
authlib (OAuth server pieces) is used inside services/auth/ only.
No SQL built with f-strings, ``%`` or ``+``/``.format`` is handed to an execute call.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("graph", "services", "db", "realtime")
ALLOWED: dict[str, set[str]] = {
    "graph": {"services", "db", "realtime"},
    "services": {"db", "realtime"},
    "realtime": {"db"},
    "db": set(),
}
WEB_LIBRARIES = {"strawberry", "starlette", "cross_web"}
JOSE_MODULES = ("joserfc", "authlib.jose", "jose", "jwt")
TOKENS_MODULE = "services/auth/tokens.py"
AUTH_PACKAGE = "services/auth/"  # authlib's OAuth server pieces stay inside authentication
SQL_CALLS = {
    "execute",
    "execute_query",
    "execute_query_dict",
    "execute_script",
    "execute_insert",
    "execute_many",
    "executemany",
    "fetch",
    "fetchrow",
    "fetchval",
    "raw",
}


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repo root
    line: int
    module: str  # absolute dotted name


def modules() -> list[Path]:
    found = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(found) > 20, "the packages were not found; is ROOT right?"
    return found


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def absolute(package: list[str], level: int, module: str | None) -> str:
    """The dotted name a (possibly relative) ``from ... import`` refers to."""
    if not level:
        return module or ""
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def imports_of(path: Path) -> list[Import]:
    """Every import anywhere in the module (TYPE_CHECKING and function-level ones included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = list(path.relative_to(ROOT).parts[:-1])  # a module's or __init__'s package
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(relative(path), node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = absolute(package, node.level, node.module)
            found.append(Import(relative(path), node.lineno, module))
    return found


def all_imports() -> list[Import]:
    return [found for path in modules() for found in imports_of(path)]


def top(module: str) -> str:
    return module.split(".")[0]


def layer_of(path: str) -> str:
    return path.split("/")[0]


def test_imports_follow_the_layer_direction() -> None:
    offenders = [
        f"{i.path}:{i.line} imports {i.module}"
        for i in all_imports()
        if top(i.module) in PACKAGES
        and top(i.module) != layer_of(i.path)
        and top(i.module) not in ALLOWED[layer_of(i.path)]
    ]
    assert offenders == []


def test_only_graph_speaks_strawberry_or_starlette() -> None:
    offenders = [
        f"{i.path}:{i.line} imports {i.module}"
        for i in all_imports()
        if top(i.module) in WEB_LIBRARIES and layer_of(i.path) != "graph"
    ]
    assert offenders == []


def test_only_the_tokens_module_touches_jose() -> None:
    offenders = [
        f"{i.path}:{i.line} imports {i.module}"
        for i in all_imports()
        if i.path != TOKENS_MODULE
        and any(i.module == m or i.module.startswith(m + ".") for m in JOSE_MODULES)
    ]
    assert offenders == []


def test_authlib_stays_inside_authentication() -> None:
    offenders = [
        f"{i.path}:{i.line} imports {i.module}"
        for i in all_imports()
        if top(i.module) == "authlib" and not i.path.startswith(AUTH_PACKAGE)
    ]
    assert offenders == []


def _is_built_string(node: ast.expr) -> bool:
    """An f-string, ``"..." % x``, ``"..." + x`` or ``"...".format(x)``: SQL built from values."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def built_sql_calls(source: str, filename: str = "<test>") -> list[int]:
    lines: list[int] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if isinstance(node.func, ast.Name):
            name = node.func.id
        if name in SQL_CALLS and node.args and _is_built_string(node.args[0]):
            lines.append(node.lineno)
    return lines


def test_no_sql_is_built_from_strings() -> None:
    offenders = [
        f"{relative(path)}:{line}"
        for path in modules()
        for line in built_sql_calls(path.read_text(encoding="utf-8"), str(path))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ('conn.execute_query(f"SELECT * FROM t WHERE id = {x}")', True),
        ('conn.execute_script("DELETE FROM t WHERE id = %s" % x)', True),
        ('Model.raw("SELECT " + column)', True),
        ('conn.execute_query("SELECT {}".format(x))', True),
        ('conn.execute_query("SELECT * FROM t WHERE id = $1", [x])', False),
        ('conn.execute_query(f"SELECT 1")', False),
        ('execute_query("SELECT 1")', False),
    ],
)
def test_the_sql_check_itself(source: str, caught: bool) -> None:
    assert bool(built_sql_calls(source)) is caught


@pytest.mark.parametrize(
    ("level", "module", "expected"),
    [
        (0, "graph.schema", "graph.schema"),
        (1, "models", "db.queries.models"),
        (2, "models", "db.models"),
        (2, None, "db"),
    ],
)
def test_relative_imports_are_resolved(level: int, module: str | None, expected: str) -> None:
    # Inside db/queries/x.py: `from . import` stays in db.queries, `from .. import` reaches db.
    assert absolute(["db", "queries"], level, module) == expected


# --- One tenant gate (issue 13, item 4) -------------------------------------------------------
#
# A tenant id is proof that a raw id was checked, so exactly one module may make one, and a
# service never reads a model directly: its queries live in db/queries, tenant first. Packages
# still being converted are allow-listed below with the number of sites each file has today; a
# file may only shrink its count, and a file that reaches zero must leave the list.

TENANT_GATE = "services/tenant_gate.py"
TENANT_TYPES = {"PracticeId", "OrganizationId"}
MINT_SCANNED = (*PACKAGES, "bench")
MINTS_NOT_YET_GATED: dict[str, tuple[int, str]] = {}
# Class-level methods that read (or change through a queryset) rows; ``create``/``bulk_create``
# inside a unit of work are writes and may stay in services.
QUERY_METHODS = {
    "all",
    "annotate",
    "bulk_update",
    "count",
    "delete",
    "earliest",
    "exclude",
    "exists",
    "fetch_for_list",
    "filter",
    "first",
    "get",
    "get_or_create",
    "get_or_none",
    "in_bulk",
    "last",
    "latest",
    "raw",
    "select_for_update",
    "update",
    "update_or_create",
}
QUERIES_NOT_YET_MOVED: dict[str, tuple[int, str]] = {}


def _named(node: ast.expr, names: set[str]) -> bool:
    """``Name`` or ``module.Name`` (``tenancy.PracticeId``, ``models.Patient``)."""
    if isinstance(node, ast.Name):
        return node.id in names
    return isinstance(node, ast.Attribute) and node.attr in names


def tenant_mints(source: str, filename: str = "<test>") -> list[int]:
    """Lines calling ``PracticeId(...)``/``OrganizationId(...)`` or casting to either."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.Call):
            continue
        if _named(node.func, TENANT_TYPES):
            lines.append(node.lineno)
        elif _named(node.func, {"cast"}) and node.args:
            target = node.args[0]
            if _named(target, TENANT_TYPES) or (
                isinstance(target, ast.Constant) and target.value in TENANT_TYPES
            ):
                lines.append(node.lineno)
    return lines


def model_classes() -> set[str]:
    """Every class under db/models that is (transitively) a Tortoise model."""
    bases: dict[str, set[str]] = {}
    for path in sorted((ROOT / "db" / "models").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                }
    found = {"Model"}
    while grown := {c for c, b in bases.items() if c not in found and b & found}:
        found |= grown
    found.discard("Model")
    assert {"Patient", "User", "Appointment", "RefreshToken"} <= found
    return found


def model_queries(source: str, models: set[str], filename: str = "<test>") -> list[int]:
    """Lines where a query method is called on a model class (``Patient.filter(...)``).

    A model is recognised by the name it is imported under from ``db.models`` (aliases
    included) or as ``<db.models module alias>.Patient``.
    """
    tree = ast.parse(source, filename=filename)
    classes: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("db.models"):
            classes |= {a.asname or a.name for a in node.names if a.name in models}
            modules |= {a.asname or a.name for a in node.names if a.name not in models}
        elif isinstance(node, ast.ImportFrom) and node.module == "db":
            modules |= {a.asname or a.name for a in node.names if a.name == "models"}
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name.startswith("db.models") and a.asname}
    lines: list[int] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERY_METHODS
        ):
            continue
        target = node.func.value
        if isinstance(target, ast.Name) and target.id in classes:
            lines.append(node.lineno)
        elif isinstance(target, ast.Attribute) and target.attr in models:
            root = target.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and (root.id in modules or root.id == "db"):
                lines.append(node.lineno)
    return lines


def _over_allowance(found: dict[str, list[int]], allowed: dict[str, tuple[int, str]]) -> list[str]:
    problems = [
        f"{path}:{','.join(map(str, sorted(lines)))} ({len(lines)} sites, {limit} allowed)"
        for path, lines in sorted(found.items())
        if len(lines) > (limit := allowed.get(path, (0, ""))[0])
    ]
    problems += [
        f"{path} is allow-listed for {count} but has {len(found.get(path, []))}: lower the count"
        for path, (count, _) in sorted(allowed.items())
        if len(found.get(path, [])) < count
    ]
    return problems


def test_only_the_tenant_gate_mints_tenant_ids() -> None:
    found: dict[str, list[int]] = {}
    for path in [p for folder in MINT_SCANNED for p in sorted((ROOT / folder).rglob("*.py"))]:
        if relative(path) in (TENANT_GATE, "db/tenancy.py"):
            continue
        if lines := tenant_mints(path.read_text(encoding="utf-8"), str(path)):
            found[relative(path)] = lines
    problems = _over_allowance(found, MINTS_NOT_YET_GATED)
    assert not problems, "mint through services/tenant_gate.py:\n" + "\n".join(problems)


def test_services_query_models_only_through_db_queries() -> None:
    models = model_classes()
    found: dict[str, list[int]] = {}
    for path in sorted((ROOT / "services").rglob("*.py")):
        if lines := model_queries(path.read_text(encoding="utf-8"), models, str(path)):
            found[relative(path)] = lines
    problems = _over_allowance(found, QUERIES_NOT_YET_MOVED)
    assert not problems, "move these queries into db/queries:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("PracticeId(x)", 1),
        ("tenancy.OrganizationId(x)", 1),
        ("cast(PracticeId, x)", 1),
        ('typing.cast("OrganizationId", x)', 1),
        ("def f(p: PracticeId) -> PracticeId: return p", 0),
        ("practice_for(principal, x, scope)", 0),
        ("cast(UUID, x)", 0),
    ],
)
def test_the_mint_check_itself(source: str, caught: int) -> None:
    assert len(tenant_mints(source)) == caught


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from db.models import Patient\nPatient.filter(id=x)", 1),
        ("from db.models import Patient\nawait Patient.filter(id=x).using_db(c).delete()", 1),
        ("from db.models import Patient as P\nP.get_or_none(id=x)", 1),
        ("from db import models\nmodels.User.exists(email=e)", 1),
        ("import db.models as m\nm.User.select_for_update()", 1),
        ("from db.models.users import User\nUser.all()", 1),
        ("from db.models import User\nUser.create(email=e)", 0),
        ("from db.models import Patient\nPatient.bulk_create(rows)", 0),
        ("from db.queries import users\nusers.filter(x)", 0),
        ("rows.filter(x)", 0),
    ],
)
def test_the_model_query_check_itself(source: str, caught: int) -> None:
    assert len(model_queries(source, model_classes())) == caught


@pytest.mark.parametrize(
    ("found", "problems"),
    [
        ({"a.py": [1, 2]}, 0),  # within its allowance
        ({"a.py": [1, 2, 3]}, 1),  # a new site in an allow-listed file
        ({"a.py": [1]}, 1),  # converted one: the allowance must shrink with it
        ({"a.py": [1, 2], "b.py": [7]}, 1),  # a file not on the list
    ],
)
def test_the_allowance_is_a_ceiling_and_a_floor(found: dict[str, list[int]], problems: int) -> None:
    assert len(_over_allowance(found, {"a.py": (2, "reason")})) == problems
