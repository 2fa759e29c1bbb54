"""Find text people will read that is not marked for translation.

Templates: the literal text between tags and the attributes people read
(title, alt, placeholder, aria-label, ...) outside ``_()`` and ``{% trans %}``,
plus prose-looking string literals inside ``{{ }}``/``{% %}`` that are not an
argument of a gettext call. Python: string literals (and f-strings, which cannot
be translated at all) given to the calls whose text reaches people: `flash`,
`abort`, notifications, mail subjects, form fields and validators, menu
entries, setting labels, and the project's error classes.

Heuristic by nature; `ALLOWED` below names what is deliberately English
(brand names, sample data). `flask lms translations check` prints the findings.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

GETTEXT_CALLS = {"_", "_l", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext"}
READ_ATTRIBUTES = {
    "title",
    "alt",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "label",
    "data-confirm",
}
# A placeholder for `{{ ... }}` and `{% ... %}` in the HTML we parse.
HOLE = "\x1a"
WORD = re.compile(r"[^\W\d_]{2,}")
# One word with a capital inside it: a class or type name, never a sentence.
CAMEL_CASE = re.compile(r"[A-Z]+[a-z0-9]*(?:[A-Z][A-Za-z0-9]*)+")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def looks_like_prose(text: str) -> bool:
    """An English phrase or word a person reads ("Save", "Course title"), not an identifier."""
    text = text.strip()
    if not WORD.search(text):
        return False
    if re.fullmatch(r"[\w.:/-]*", text) and not re.match(r"[A-Z][a-z]", text):
        return False  # endpoint, key, class name, path
    if text.isupper() and " " not in text:
        return False  # GET, POST, UTF-8
    if CAMEL_CASE.fullmatch(text):
        return False  # BooleanField, CSRFTokenField: class and type names
    return bool(re.match(r"[A-Z][a-z]", text)) or " " in text and text[-1:] in ".!?:"


# --- templates ---------------------------------------------------------------


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value is None:
                continue
            # An <input type=submit>'s value is its label; a <button>'s value is only sent.
            if name in READ_ATTRIBUTES or (
                tag == "input"
                and name == "value"
                and dict(attrs).get("type") in ("submit", "button", "reset")
            ):
                self._add(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._add(data)

    def _add(self, text: str) -> None:
        for piece in text.split(HOLE):
            piece = " ".join(piece.split())
            if WORD.search(piece):
                self.found.append(piece)


def _template_pieces(source: str, env: Environment) -> tuple[list[tuple[int, str]], str]:
    """The template's expression strings (with lines) and its literal text with holes."""
    strings: list[tuple[int, str]] = []
    text: list[str] = []
    in_trans = False
    calls: list[str] = []
    previous = ("", "")
    block_words: list[str] = []
    for lineno, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if kind == "data":
            if not in_trans:
                text.append(value)
            continue
        if kind in ("block_begin", "variable_begin"):
            text.append(HOLE)
            calls = []
            block_words = []
        elif kind == "name" and previous[0] == "block_begin":
            block_words.append(value)
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        elif kind == "operator" and value == "(":
            calls.append(previous[1] if previous[0] == "name" else "")
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif kind == "string" and not in_trans:
            value = ast.literal_eval(value)  # the lexer gives the source, quotes included
            marked = any(name in GETTEXT_CALLS for name in calls)
            structural = block_words[:1] in (["extends"], ["include"], ["import"], ["from"])
            if not marked and not structural and looks_like_prose(value):
                strings.append((lineno, value))
        previous = (kind, value)
    return strings, "".join(text)


def template_findings(path: Path, shown_as: str, env: Environment) -> list[Finding]:
    source = path.read_text(encoding="utf-8")
    strings, text = _template_pieces(source, env)
    found = [Finding(shown_as, line, value) for line, value in strings]
    if path.suffix == ".txt":  # a mail's text part: all of it is read
        pieces = [" ".join(p.split()) for p in text.split(HOLE)]
        texts = [p for p in pieces if WORD.search(p)]
    else:
        collector = _TextCollector()
        collector.feed(text)
        collector.close()
        texts = collector.found
    for piece in texts:
        line = next((n for n, row in enumerate(source.splitlines(), 1) if piece[:20] in row), 0)
        found.append(Finding(shown_as, line, piece))
    return found


# --- Python ------------------------------------------------------------------

# Calls whose first positional argument (or the given keyword) is read by people.
FIRST_ARGUMENT_CALLS = {"flash", "NavItem", "ValidationError", "StopValidation"}
SECOND_ARGUMENT_CALLS = {"abort", "ApiError", "invalid", "notify_kind"}
READ_KEYWORDS = {"message", "label", "description", "title", "body", "subject", "placeholder"}
# Whose keywords of those names are for developers (API documentation), not people.
DEVELOPER_CALLS = {
    "Blueprint",
    "ApiBlueprint",
    "response",
    "alt_response",
    "arguments",
    "doc",
    "route",
    "paginate",
    "String",
    "Integer",
    "Boolean",
    "DateTime",
    "Float",
    "List",
    "Nested",
    "Dict",
    "Field",
    "Url",
    "Email",
    "Raw",
    "Enum",
    "Method",
    "Function",
    "Pluck",
    "add_argument",
    "option",
    "argument",
    "command",
    "group",
    "Permission",
    "PeriodicJob",
    "job",
}
# Exceptions for programmers: their messages are logged, not shown.
DEVELOPER_ERRORS = {
    "TranscodeError",  # carries ffmpeg's own output to the log
    "ValueError",
    "TypeError",
    "RuntimeError",
    "KeyError",
    "AssertionError",
    "NotImplementedError",
    "AttributeError",
    "LookupError",
    "OSError",
    "PluginLoadError",
    "UnknownJobError",
    "ImportError",
    "SystemExit",
    "ClickException",
    "UsageError",
    "BadParameter",
    # Storage failures are logged and answered with a generic 404/403/500 page.
    "StorageError",
    "FolderTokenError",
}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _unmarked(node: ast.expr | None) -> Iterator[tuple[int, str]]:
    """The literal text in an argument that is not wrapped in a gettext call."""
    if node is None:
        return
    if isinstance(node, ast.Call) and _name(node.func) in GETTEXT_CALLS:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if looks_like_prose(node.value):
            yield node.lineno, node.value
    elif isinstance(node, ast.JoinedStr):
        literal = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
        if WORD.search(literal):
            yield node.lineno, "f-string: " + literal
    elif isinstance(node, ast.BinOp):
        yield from _unmarked(node.left)
        yield from _unmarked(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _unmarked(node.body)
        yield from _unmarked(node.orelse)
    elif isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            # Choices are (value, label) pairs: only the label is read.
            if isinstance(element, ast.Tuple) and len(element.elts) == 2:
                yield from _unmarked(element.elts[1])


def _read_arguments(call: ast.Call) -> Iterator[ast.expr]:
    name = _name(call.func)
    if name in DEVELOPER_CALLS or name in DEVELOPER_ERRORS:
        return
    positional = call.args
    is_error = name.endswith("Error") or name.endswith("Exception")
    is_field = name.endswith("Field")
    if (name in FIRST_ARGUMENT_CALLS or is_error or is_field) and positional:
        yield positional[0]
    if name in SECOND_ARGUMENT_CALLS and len(positional) > 1:
        yield positional[1]
    if name == "notify" and len(positional) > 2:
        yield from positional[2:4]
    if name == "send_mail" and len(positional) > 1:
        yield positional[1]
    for keyword in call.keywords:
        if keyword.arg in READ_KEYWORDS or (keyword.arg == "choices" and is_field):
            yield keyword.value


def python_findings(path: Path, shown_as: str) -> list[Finding]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for argument in _read_arguments(node):
                for line, text in _unmarked(argument):
                    found.append(Finding(shown_as, line, text))
    return found


# Deliberately not translated: (file relative to its unit, text). Keep it short; say why.
ALLOWED: set[tuple[str, str]] = {
    # The placeholder shows the format of a certificate code (Latin letters), not words.
    ("lms_catalog/templates/catalog/verify.html", "ABCD-EFGH-JKLM"),
    # A file name extension, the same in every language.
    ("lms_live_classes/templates/live_classes/detail.html", "(.ics)"),
    # Sample data of the demo school (`flask lms seed-demo`): content, not interface.
    ("lms_live_classes/demo.py", "f-string: A live session of : questions welcome."),
}


def findings(sources: list[Path], root: Path, ignored: set[str]) -> list[Finding]:
    """Everything unmarked under `sources` (templates .html/.txt and Python modules),
    except what `ALLOWED` names."""
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # only lexed
    found: list[Finding] = []
    for source in sources:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(root)
            if ignored.intersection(relative.parts) or not path.is_file():
                continue
            if path.suffix == ".py":
                found += python_findings(path, relative.as_posix())
            elif path.suffix in (".html", ".txt") and "templates" in relative.parts:
                found += template_findings(path, relative.as_posix(), env)
    return [f for f in found if (f.path, f.text) not in ALLOWED]
