"""Template hooks put plugin HTML into named slots, in priority order."""

from markupsafe import Markup

from lms.hooks import TemplateHooks


def test_hook_output_is_html_in_priority_order() -> None:
    hooks = TemplateHooks()
    hooks.add("home", lambda **kw: "<p>second</p>", plugin="b", priority=60)
    hooks.add("home", lambda **kw: f"<p>first {kw['who']}</p>", plugin="a", priority=10)
    hooks.add("home", lambda **kw: None, plugin="c")
    html = hooks.render("home", who="you")
    assert isinstance(html, Markup)
    assert html == Markup("<p>first you</p>\n<p>second</p>")


def test_an_unknown_hook_renders_nothing() -> None:
    assert TemplateHooks().render("nowhere") == Markup("")
