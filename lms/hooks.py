"""Template hooks: named slots in core templates that plugins fill with HTML.

A template writes ``{{ template_hook("course-sidebar", course=course) }}``;
a plugin calls ``self.template_hook("course-sidebar", render_fn)`` in init().
The function receives the keyword arguments and returns HTML (usually
``render_template(...)``, whose values Jinja has already escaped); outputs are
joined in priority order. Never return user input that has not been escaped.
Every hook a page offers, with its arguments, is listed in
docs/hooks-and-signals.md (tests/test_docs_index.py keeps the list complete).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

HookFunc = Callable[..., str | None]


@dataclass(order=True)
class _Hook:
    priority: int
    plugin: str
    func: HookFunc = field(compare=False)


class TemplateHooks:
    def __init__(self) -> None:
        self._hooks: dict[str, list[_Hook]] = defaultdict(list)

    def add(self, name: str, func: HookFunc, *, plugin: str = "core", priority: int = 50) -> None:
        self._hooks[name].append(_Hook(priority, plugin, func))
        self._hooks[name].sort()

    def names(self) -> list[str]:
        return sorted(self._hooks)

    def render(self, name: str, **context: Any) -> Markup:
        """Return the joined output of every function registered for `name`."""
        parts = []
        for hook in self._hooks.get(name, []):
            out = hook.func(**context)
            if out:
                # Hook functions are plugin code returning rendered templates
                # (autoescaped by Jinja already), so their output is HTML.
                parts.append(Markup(out))  # noqa: S704
        return Markup("\n").join(parts)
