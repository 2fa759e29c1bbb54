"""docs/hooks-and-signals.md lists every template hook and signal the code offers, and no others.

The hooks come from the templates (core, first-party plugins, the example),
the signals from the ``signals.py`` modules; a plugin's signals must also be
exported by its public ``__init__``, since that is where the index says to
import them from.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from lms.config import PROJECT_ROOT

INDEX = PROJECT_ROOT / "docs" / "hooks-and-signals.md"
HOOK_CALL = re.compile(r"""template_hook\(\s*['"]([^'"]+)['"]\s*((?:,[^)]*)?)\)""")
SIGNAL_DEF = re.compile(r"^(\w+)\s*=\s*\w+\.signal\(", re.MULTILINE)
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$", re.MULTILINE)


def template_files() -> list[Path]:
    roots = [PROJECT_ROOT / "templates"]
    for parent in (PROJECT_ROOT / "plugins", PROJECT_ROOT / "examples"):
        roots += list(parent.glob("*/lms_*/templates"))
    return [path for root in roots for path in root.rglob("*.html")]


def hooks_in_templates() -> dict[str, set[str]]:
    """Map each hook name to the keyword arguments its template call passes."""
    found: dict[str, set[str]] = {}
    for path in template_files():
        for name, args in HOOK_CALL.findall(path.read_text()):
            kwargs = set(re.findall(r"(\w+)\s*=", args))
            if name in found and found[name] != kwargs:
                raise AssertionError(f"hook {name!r} is called with {found[name]} and {kwargs}")
            found[name] = kwargs
    return found


def signal_modules() -> dict[str, Path]:
    """Map the import prefix the index uses (lms.signals, lms_catalog ...) to the module file."""
    modules = {"lms.signals": PROJECT_ROOT / "lms" / "signals.py"}
    for parent in (PROJECT_ROOT / "plugins", PROJECT_ROOT / "examples"):
        for path in parent.glob("*/lms_*/signals.py"):
            modules[path.parent.name] = path
    return modules


def signals_in_code() -> set[str]:
    names = set()
    for prefix, path in signal_modules().items():
        for name in SIGNAL_DEF.findall(path.read_text()):
            names.add(f"{prefix}.{name}")
    return names


def index_sections() -> dict[str, str]:
    text = INDEX.read_text()
    hooks_start, signals_start = text.index("## Template hooks"), text.index("## Signals")
    return {"hooks": text[hooks_start:signals_start], "signals": text[signals_start:]}


def hooks_in_index() -> dict[str, set[str]]:
    rows = ROW.findall(index_sections()["hooks"])
    # The last column lists the arguments, each in backticks ("none" for none).
    return {name: set(re.findall(r"`(\w+)`", rest.rsplit("|", 1)[-1])) for name, rest in rows}


def signals_in_index() -> set[str]:
    return {name for name, _rest in ROW.findall(index_sections()["signals"])}


def test_the_scan_finds_hooks_and_signals_at_all() -> None:
    assert {"head", "course-syllabus", "lesson-before-content"} <= set(hooks_in_templates())
    assert {"lms.signals.user_registered", "lms_lessons.lesson_completed"} <= signals_in_code()


def test_index_lists_every_template_hook_with_its_arguments() -> None:
    offered, listed = hooks_in_templates(), hooks_in_index()
    assert sorted(set(offered) - set(listed)) == [], "hooks missing from the index"
    assert sorted(set(listed) - set(offered)) == [], "hooks in the index that no template offers"
    wrong = {name: (listed[name], args) for name, args in offered.items() if listed[name] != args}
    assert wrong == {}, "index arguments differ from the template's (index, template)"


def test_index_lists_every_signal() -> None:
    defined, listed = signals_in_code(), signals_in_index()
    assert sorted(defined - listed) == [], "signals missing from the index"
    assert sorted(listed - defined) == [], "signals in the index that the code does not define"


def test_plugin_signals_are_importable_where_the_index_says() -> None:
    for qualified in signals_in_index():
        module_name, _, name = qualified.rpartition(".")
        module = importlib.import_module(module_name)
        assert hasattr(module, name), f"{module_name} does not export {name}"
        assert name in getattr(module, "__all__", [name]), f"{name} is not in {module_name}.__all__"
