"""Markdown to safe HTML: rendered once when a lesson is saved, sanitised with nh3.

Code blocks are highlighted by Pygments into CSS classes (the stylesheet is
static/lessons/pygments.css), so the stored HTML needs no inline styles.
"""

from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "div": {"class"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"},
}  # fmt: skip
URL_SCHEMES = {"http", "https", "mailto"}

_EXTENSIONS = ["fenced_code", "codehilite", "tables", "sane_lists", "toc"]
_EXTENSION_CONFIGS = {
    "codehilite": {"css_class": "codehilite", "guess_lang": False, "linenums": False},
    "toc": {"permalink": False},
}


def render_markdown(text: str) -> str:
    """Return sanitised HTML for `text` (links get rel="noopener noreferrer")."""
    html = markdown.markdown(
        text or "", extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
