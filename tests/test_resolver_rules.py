"""Resolvers stay thin: the rules of CONTRIBUTING.md that a grep can hold.

- ids are converted by the input (``input.ids.practice_id``) or ``id_argument(patient_id=
  patient_id)``, which take the GraphQL name from the schema or the parameter's own name: no
  resolver types a field name into ``parse_id``;
- ``after`` is read by ``graph.schema.pagination.after_key``: no resolver decodes a cursor;
- patient reads are recorded by ``AuditReads`` from the returned types: no resolver calls
  ``audit.read`` (except the board, whose audit shape is its own, listed below);
- schema types are built by their ``from_model``/``from_row``-style classmethods: no resolver
  builds one field by field with ``strawberry.ID(str(...))`` (allow-list below).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESOLVERS = sorted((ROOT / "graph" / "resolvers").glob("*.py"))

# (module, enclosing function) -> why it may break a rule. Shrink, never grow without a reason.
AUDIT_READ_ALLOWED = {
    ("scheduling.py", "schedule"): "the board audits one window row and one row per patient",
}
FIELD_BY_FIELD_ALLOWED = {
    ("scheduling.py", "_hold"): "a board hold row; the board's row mappers are being unified",
    ("subscriptions.py", "announce_practice_notice"): "PracticeNotice lives with live events",
}
CURSOR_NAMES = {"decode_cursor", "b64decode", "urlsafe_b64decode", "loads"}
ARGUMENT_HELPERS = {"id_argument", "optional_id_argument", "id_list_argument"}


def _calls(tree: ast.AST) -> Iterator[tuple[str, ast.Call]]:
    """Every call with the name of the function it sits in ("" at module level)."""

    def walk(node: ast.AST, where: str) -> Iterator[tuple[str, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if isinstance(child, ast.Call):
                yield inner, child
            yield from walk(child, inner)

    yield from walk(tree, "")


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _named_after_itself(call: ast.Call) -> bool:
    """``id_argument(patient_id=patient_id)``: the keyword gives the error's field name, so it
    must be the resolver's own parameter (or input attribute) of that name, never a free pick."""
    if call.args or len(call.keywords) != 1:
        return False
    keyword = call.keywords[0]
    value = keyword.value
    source = value.id if isinstance(value, ast.Name) else getattr(value, "attr", None)
    return keyword.arg == source


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _violations(path: Path) -> list[str]:
    found: list[str] = []
    module = path.name
    for where, call in _calls(_parsed(path)):
        name, line = _name(call), f"{module}:{call.lineno} ({where or 'module'})"
        literal = any(
            isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            for arg in [*call.args, *(k.value for k in call.keywords)]
        )
        if name == "parse_id" and literal:
            found.append(f"{line}: parse_id with a typed-in field name; use input.ids/id_argument")
        audit_read = name == "read" and _dotted(call.func).endswith("audit.read")
        if audit_read and (module, where) not in AUDIT_READ_ALLOWED:
            found.append(f"{line}: audit.read in a resolver; declare AuditReads on the field")
        if name in ARGUMENT_HELPERS and not _named_after_itself(call):
            found.append(f"{line}: {name}(x=y) must pass a value named x (the GraphQL name)")
        if name in CURSOR_NAMES:
            found.append(f"{line}: {name} in a resolver; read `after` with after_key()")
        if _dotted(call.func) == "strawberry.ID" and (module, where) not in FIELD_BY_FIELD_ALLOWED:
            found.append(f"{line}: a type built field by field; add a from_model on the type")
    return found


@pytest.mark.parametrize("path", RESOLVERS, ids=lambda p: p.name)
def test_resolver_module_is_thin(path: Path) -> None:
    assert _violations(path) == []


def test_no_resolver_defines_its_own_cursor_decoder() -> None:
    imports = {
        (path.name, alias.name)
        for path in RESOLVERS
        for node in ast.walk(_parsed(path))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {pair for pair in imports if pair[1] in {"base64", "binascii", "orjson"}}
    assert not {pair for pair in imports if pair[1] == "decode_cursor"}


def test_the_allow_lists_name_code_that_exists() -> None:
    """An allow-list entry whose function is gone would silently widen the rule."""
    functions = {
        (path.name, node.name)
        for path in RESOLVERS
        for node in ast.walk(_parsed(path))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert set(AUDIT_READ_ALLOWED) <= functions
    assert set(FIELD_BY_FIELD_ALLOWED) <= functions


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """The checker itself: each forbidden shape in a throwaway module is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def r(info, input, after):\n"
        '    parse_id(input.practice_id, "practiceId")\n'
        "    info.context.audit.read(entity_type='Patient')\n"
        "    decode_cursor(after)\n"
        "    id_argument(patient_id=practice_id)\n"
        "    return T(id=strawberry.ID(str(1)))\n",
        encoding="utf-8",
    )
    problems = _violations(bad)
    assert len(problems) == 5, problems
