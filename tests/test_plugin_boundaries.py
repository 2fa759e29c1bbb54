"""Plugins talk through the core and each other's public API, never each other's internals."""

from __future__ import annotations

import ast
from pathlib import Path

from lms.config import PROJECT_ROOT

PLUGIN_ROOTS = [PROJECT_ROOT / "plugins", PROJECT_ROOT / "examples"]


def plugin_packages() -> dict[str, Path]:
    """Map each plugin package name (lms_<x>) to its folder."""
    found = {}
    for root in PLUGIN_ROOTS:
        for init in root.glob("*/lms_*/__init__.py"):
            found[init.parent.name] = init.parent
    return found


def imported_modules(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append((node.module, node.lineno))
    return modules


def boundary_violations(packages: dict[str, Path]) -> list[str]:
    problems = []
    for own, folder in packages.items():
        for source in folder.rglob("*.py"):
            if "migrations" in source.parts:
                continue
            for module, line in imported_modules(source):
                top, _, rest = module.partition(".")
                if top.startswith("lms_") and top != own and rest:
                    problems.append(
                        f"{source.name}:{line} imports {module}; "
                        f"use the public API: from {top} import ..."
                    )
    return problems


def test_plugins_import_only_public_apis_of_other_plugins() -> None:
    packages = plugin_packages()
    assert "lms_hello" in packages  # the scan finds plugins at all
    assert boundary_violations(packages) == []


def test_the_check_catches_a_reach_into_internals(tmp_path: Path) -> None:
    pkg = tmp_path / "lms_spy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "views.py").write_text("from lms_catalog.models import Course\nimport lms_catalog\n")
    problems = boundary_violations({"lms_spy": pkg})
    assert len(problems) == 1 and "imports lms_catalog.models" in problems[0]
