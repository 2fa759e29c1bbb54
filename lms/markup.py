"""Markdown written by people, turned into HTML that is safe to show to others.

Markdown passes raw HTML through, so every result is cleaned by nh3 (an
allow-list sanitiser). Fenced code is highlighted by Pygments into
``<span class>`` markup, which the allow-list keeps. Every plugin renders user
text through here: one sanitiser, one set of rules.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
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
_EXTENSIONS = ["fenced_code", "codehilite", "tables", "sane_lists", "abbr"]
_EXTENSION_CONFIGS = {"codehilite": {"guess_lang": False, "css_class": "highlight"}}


def sanitize_html(html: str) -> str:
    """Keep only allow-listed tags and attributes; links get rel=noopener nofollow."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


@lru_cache(maxsize=2048)
def _render(text: str) -> str:
    html = markdown.markdown(
        text, extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS, output_format="html"
    )
    return sanitize_html(html)


def render_markdown(text: str | None) -> Markup:
    """Return sanitised HTML for Markdown `text` (cached: pages render the same text often)."""
    if not text:
        return Markup("")
    return Markup(_render(text))  # noqa: S704 - sanitised by nh3 above


def plain_text(text: str | None, limit: int | None = None) -> str:
    """Return Markdown `text` as plain text (for excerpts, meta tags and mail), cut at `limit`."""
    if not text:
        return ""
    stripped = html.unescape(nh3.clean(_render(text), tags=set()))
    words = re.sub(r"\s+", " ", stripped).strip()
    if limit is None or len(words) <= limit:
        return words
    return words[: limit - 1].rsplit(" ", 1)[0] + "…"
