"""Keeping catalogues in step with the code: `flask lms translations update|check`.

A *unit* is the core or one plugin: its sources (Python, templates, JavaScript)
and its catalogues (`<translations>/<lang>/LC_MESSAGES/messages.po`). `update`
extracts the marked strings with Babel and merges them into every language's
catalogue (new strings empty, vanished ones dropped); `check` says what is out
of step or untranslated, and is what the tests run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from lms.config import PROJECT_ROOT
from lms.i18n import CATALOGUE, CORE_TRANSLATIONS, LANGUAGES

KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# Sources that never reach a person: tests, migrations, test helpers, bundled libraries.
IGNORED_PARTS = {"tests", "migrations", "testing", "node_modules", "vendor", "__pycache__"}
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**/templates/**.txt", "jinja2.ext:babel_extract"),
    ("**.js", "javascript"),
]
# Same switches as the app's Jinja environment, so that msgids match at run time.
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "newstyle_gettext": "true"}
OPTIONS = {pattern: JINJA_OPTIONS for pattern, method in METHODS if "jinja2" in method}


@dataclass
class Unit:
    """The core or one plugin: where its strings are and where its catalogues go."""

    name: str
    sources: list[Path]
    translations: Path
    root: Path = field(default=PROJECT_ROOT)

    def catalogue_path(self, code: str) -> Path:
        return self.translations / code / CATALOGUE


def core_unit() -> Unit:
    root = PROJECT_ROOT
    return Unit("core", [root / "lms", root / "templates", root / "static"], CORE_TRANSLATIONS)


def plugin_unit(name: str, package_root: Path) -> Unit:
    return Unit(name, [package_root], package_root / "translations", root=package_root.parent)


def _wanted(path: str) -> bool:
    return not IGNORED_PARTS.intersection(Path(path).parts) and not path.endswith(".min.js")


def _method_map(source: Path) -> list[tuple[str, str]]:
    """`METHODS`, matched against paths relative to `source`: a source that is itself a
    ``templates`` folder (the core's) holds its templates at the top."""
    if source.name != "templates":
        return METHODS
    inner = [(pattern.replace("**/templates/", "", 1), m) for pattern, m in METHODS]
    return [(p, m) for p, m in inner if "jinja2" in m] + METHODS


def extract(unit: Unit) -> Catalog:
    """Every string the unit marks, with where it is (paths relative to the unit's root)."""
    template = Catalog(project=unit.name, charset="utf-8")
    for source in unit.sources:
        if not source.is_dir():
            continue
        found = extract_from_dir(
            str(source),
            method_map=_method_map(source),
            options_map={p: JINJA_OPTIONS for p, m in _method_map(source) if "jinja2" in m},
            keywords=KEYWORDS,
            strip_comment_tags=True,
            callback=None,
        )
        for filename, lineno, message, comments, context in found:
            if not _wanted(filename):
                continue
            location = (source / filename).relative_to(unit.root).as_posix()
            template.add(
                message,
                None,
                [(location, lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def read_catalogue(path: Path, code: str) -> Catalog:
    if not path.is_file():
        return Catalog(locale=code, project="lms", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def update(unit: Unit, languages: Iterable[str] = LANGUAGES) -> list[Path]:
    """Merge the unit's extracted strings into each language's catalogue; return those written."""
    template = extract(unit)
    written = []
    for code in languages:
        path = unit.catalogue_path(code)
        catalogue = read_catalogue(path, code)
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        catalogue.fuzzy = False  # a new catalogue's header is marked fuzzy; nothing else is
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalogue, width=100, sort_output=True, omit_header=False)
        written.append(path)
    return written


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


def problems(unit: Unit, languages: Iterable[str] = LANGUAGES) -> list[str]:
    """What is out of step: strings missing from a catalogue, stale ones, untranslated ones.

    English needs no translation (the strings are English); every other
    language must translate every string, plural forms included.
    """
    template = extract(unit)
    wanted = {_key(m.id) for m in template if m.id}
    found: list[str] = []
    for code in languages:
        path = unit.catalogue_path(code)
        catalogue = read_catalogue(path, code)
        have = {_key(m.id): m for m in catalogue if m.id}
        where = path.relative_to(unit.root) if path.is_relative_to(unit.root) else path
        missing = sorted(wanted - set(have))
        stale = sorted(set(have) - wanted)
        if missing:
            found.append(
                f"{where}: {len(missing)} strings not in the catalogue, e.g. {missing[0]!r}"
            )
        if stale:
            found.append(f"{where}: {len(stale)} strings no longer used, e.g. {stale[0]!r}")
        if code == "en":
            continue
        untranslated = sorted(
            key
            for key, m in have.items()
            if key in wanted
            and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
        )
        if untranslated:
            found.append(
                f"{where}: {len(untranslated)} strings not translated, e.g. {untranslated[0]!r}"
            )
    return found
