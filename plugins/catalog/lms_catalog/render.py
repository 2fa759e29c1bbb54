"""Markdown to safe HTML: authors write Markdown, readers get sanitised HTML.

Markdown allows raw HTML, so every result goes through nh3 (an allow-list
sanitiser); code blocks are highlighted by Pygments into <span class> markup
that the allow-list keeps.
"""

from __future__ import annotations

import html
from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "span": {"class"},
    "div": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "th": {"align"},
    "td": {"align"},
    "abbr": {"title"},
}


@lru_cache(maxsize=1024)
def _render(text: str) -> str:
    html = markdown.markdown(
        text,
        extensions=["fenced_code", "codehilite", "tables", "sane_lists", "abbr"],
        extension_configs={"codehilite": {"guess_lang": False, "css_class": "highlight"}},
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str | None) -> Markup:
    """Return sanitised HTML for Markdown `text` (cached: course pages render it often)."""
    if not text:
        return Markup("")
    return Markup(_render(text))  # noqa: S704 - sanitised by nh3 above


def plain_excerpt(text: str | None, limit: int = 180) -> str:
    """Return the first words of Markdown `text` as plain text, for cards and meta tags."""
    if not text:
        return ""
    plain = html.unescape(nh3.clean(_render(text), tags=set()))
    plain = " ".join(plain.split())
    return plain if len(plain) <= limit else plain[: limit - 1].rsplit(" ", 1)[0] + "…"
