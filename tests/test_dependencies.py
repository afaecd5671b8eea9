"""What the code imports is declared, and what is declared is what the lock installs.

A package the service imports only because something else happens to pull it in breaks the day
that something drops it; a lock that disagrees with pyproject.toml installs bytes nobody chose.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_PACKAGES = ("graph", "services", "db", "realtime")
FIRST_PARTY = {*SERVICE_PACKAGES, "tests", "bench"}


def _requirement_name(requirement: str) -> str:
    name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _declared_runtime() -> set[str]:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    return {_requirement_name(r) for r in project["dependencies"]}


def _imported_modules(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_every_third_party_import_of_the_service_is_a_declared_runtime_dependency() -> None:
    distributions = packages_distributions()
    imported = set().union(*(_imported_modules(p) for p in SERVICE_PACKAGES)) - FIRST_PARTY
    third_party = {m for m in imported if m not in sys.stdlib_module_names}
    declared = _declared_runtime()
    undeclared = {
        module: distributions.get(module, [])
        for module in sorted(third_party)
        if not declared & {_requirement_name(n) for n in distributions.get(module, [])}
    }
    assert not undeclared, f"imported but not declared in [project].dependencies: {undeclared}"


def test_the_bootstrap_installs_the_uv_the_lock_pins() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = next(p["version"] for p in lock["package"] if p["name"] == "uv")
    bootstrap = (ROOT / "uv-bootstrap.txt").read_text()
    assert re.search(rf"^uv=={re.escape(locked)} \\$", bootstrap, re.MULTILINE)
    assert "--hash=sha256:" in bootstrap


def test_the_lock_agrees_with_pyproject() -> None:
    uv = Path(sys.executable).with_name("uv")
    result = subprocess.run(  # noqa: S603 - a fixed command on files of this repository
        [str(uv), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "UV_PYTHON_DOWNLOADS": "never", "HOME": str(Path.home())},
    )
    assert result.returncode == 0, result.stderr
