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
