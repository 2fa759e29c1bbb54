"""Which language a page speaks, and the catalogues it speaks from.

Mark strings with `_` (translated at once, in the current language), `_l`
(translated when shown: module-level text such as menu entries, form labels and
setting descriptions) and `ngettext` (plurals). Templates use ``{{ _("...") }}``
and ``{% trans %}``; JavaScript uses ``LMS.gettext("...")`` (app.js), whose
strings reach the page through `js_catalogue()`.

Each catalogue is a gettext .po file: the core's in ``lms/translations``, each
plugin's in ``<its package>/translations``, as ``<lang>/LC_MESSAGES/messages.po``.
They are compiled in memory when a language is first needed (no .mo files to
build or commit, and a pip-installed plugin translates itself), then merged per
language: the core's first, then each plugin's in load order.

The language of a request: the signed-in user's choice, else the visitor's
choice from the language menu (a cookie), else the browser's Accept-Language,
else the site's default (setting ``core.default_language``). Outside a request
(a job, a mail) `user_locale()` switches to a person's language.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from gettext import c2py
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, Domain, force_locale, get_locale, gettext, lazy_gettext, ngettext
from flask_login import current_user
from pytz import UnknownTimeZoneError
from pytz import timezone as pytz_timezone

__all__ = [
    "_",
    "_l",
    "ngettext",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "current_language",
    "text_direction",
    "user_locale",
]

_ = gettext
_l = lazy_gettext

CORE_TRANSLATIONS = Path(__file__).resolve().parent / "translations"
CATALOGUE = Path("LC_MESSAGES") / "messages.po"
LANGUAGE_COOKIE = "lms_lang"


def _shipped_languages() -> tuple[str, ...]:
    found = sorted(p.name for p in CORE_TRANSLATIONS.iterdir() if (p / CATALOGUE).is_file())
    # English first: the language the strings are written in.
    return tuple(sorted(found, key=lambda code: code != "en")) or ("en",)


#: The languages the core ships a catalogue for; a page can be in any of them.
LANGUAGES: tuple[str, ...] = _shipped_languages()


def language_name(code: str) -> str:
    """The language's name in itself ("Français", "العربية")."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def current_language() -> str:
    """The language code of the current request or `user_locale()` block ("en" elsewhere)."""
    locale = get_locale()
    return str(locale) if locale is not None else "en"


def text_direction(code: str | None = None) -> str:
    """ "rtl" for languages written right to left, else "ltr"."""
    return Locale.parse(code or current_language()).text_direction


# --- choosing the language ------------------------------------------------


def select_language() -> str:
    """Flask-Babel's locale selector: see the module's docstring for the order."""
    if has_request_context():
        user = current_user
        if user and user.is_authenticated and getattr(user, "language", None) in LANGUAGES:
            return user.language
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LANGUAGES:
            return chosen
        # Babel's negotiation, not Werkzeug's best_match: "fr-CA, en;q=0.5" means French.
        asked = [value for value, _quality in request.accept_languages]
        best = negotiate_locale(asked, LANGUAGES, sep="-")
        if best:
            return best
    return site_language()


def site_language() -> str:
    from lms.settings import get_setting

    try:
        code = get_setting("core", "default_language")
    except Exception:  # an error page must render even with the database down
        from lms.extensions import db

        db.session.rollback()
        return "en"
    return code if code in LANGUAGES else "en"


def select_timezone() -> str:
    """The signed-in user's time zone, else the school's (setting ``core.timezone``)."""
    if has_request_context():
        user = current_user
        zone = getattr(user, "timezone", None) if user and user.is_authenticated else None
        if zone:
            return zone
    return _school_timezone()


def _school_timezone() -> str:
    from lms.settings import get_setting

    try:
        return get_setting("core", "timezone") or "UTC"
    except Exception:
        from lms.extensions import db

        db.session.rollback()
        return "UTC"


@contextmanager
def user_locale(user: Any) -> Iterator[None]:
    """Translate and format in `user`'s language and time zone inside the block.

    For what one person receives while another is served (mails, notifications,
    jobs): their language, else the site's; their time zone, else the school's.
    `user` may be None (the site's language and the school's time zone).
    """
    code = getattr(user, "language", None)
    zone = getattr(user, "timezone", None) or _school_timezone()
    with force_locale(code if code in LANGUAGES else site_language()), _force_timezone(zone):
        yield


@contextmanager
def _force_timezone(zone: str) -> Iterator[None]:
    # Flask-Babel keeps the request's time zone in its context (g) once asked,
    # and has no force_timezone(); set and restore that cached value.
    from flask_babel import _get_current_context

    ctx = _get_current_context()
    if ctx is None:  # no app context: nothing formats dates here anyway
        yield
        return
    saved = getattr(ctx, "babel_tzinfo", None)
    try:  # pytz, as Flask-Babel's own (it calls .normalize())
        ctx.babel_tzinfo = pytz_timezone(zone)
    except UnknownTimeZoneError:
        ctx.babel_tzinfo = pytz_timezone("UTC")
    try:
        yield
    finally:
        if saved is None:
            del ctx.babel_tzinfo
        else:
            ctx.babel_tzinfo = saved


# --- catalogues -------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _read(path: str, mtime: float) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle)


def _catalogue_paths(app: Flask, code: str) -> list[Path]:
    from lms.state import lms_state

    roots = [CORE_TRANSLATIONS]
    roots += [plugin.root_path / "translations" for plugin in lms_state(app).plugins.values()]
    return [root / code / CATALOGUE for root in roots if (root / code / CATALOGUE).is_file()]


class Catalogues:
    """One app's merged catalogues, built once per language."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._translations: dict[str, NullTranslations] = {}
        self._js: dict[str, dict[str, Any]] = {}
        self._merged: dict[str, Catalog] = {}

    def merged(self, code: str) -> Catalog:
        """Every catalogue of `code` in one (built once: pages and scripts both read it)."""
        if code not in self._merged:
            self._merged[code] = self._merge(code)
        return self._merged[code]

    def _merge(self, code: str) -> Catalog:
        merged = Catalog(locale=code)
        for path in _catalogue_paths(self.app, code):
            for message in _read(str(path), path.stat().st_mtime):
                if message.id and message.string and not message.fuzzy:
                    # A copy: the catalogue merges into what it holds, and `_read` is shared.
                    merged[message.id] = Message(
                        message.id,
                        message.string,
                        locations=message.locations,
                        context=message.context,
                    )
        return merged

    def translations(self, code: str) -> NullTranslations:
        if code not in self._translations:
            buffer = BytesIO()
            write_mo(buffer, self.merged(code))
            buffer.seek(0)
            self._translations[code] = Translations(fp=buffer)
        return self._translations[code]

    def javascript(self, code: str) -> dict[str, Any]:
        """The translations of the strings JavaScript files use: {msgid: msgstr or [forms]}."""
        if code not in self._js:
            strings: dict[str, Any] = {}
            for message in self.merged(code):
                if message.id and any(loc.endswith(".js") for loc, _line in message.locations):
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    value = message.string
                    strings[key] = list(value) if isinstance(value, tuple) else value
            self._js[code] = {"lang": code, "plurals": plural_indexes(code), "strings": strings}
        return self._js[code]


def plural_indexes(code: str) -> dict[str, int]:
    """Which msgstr[] form gettext uses for each CLDR plural category of `code`.

    The browser's Intl.PluralRules names a category ("few", "many"); the
    catalogue's formula numbers the forms in its own order (Arabic's "other",
    for 100-102, is form 4, before "many"). Both are asked about the same
    numbers, so each category maps to the form Python would pick.
    """
    rule = Locale.parse(code).plural_form
    formula = c2py(get_plural(code).plural_expr)
    indexes: dict[str, int] = {}
    for n in (*range(0, 1001), 1_000_000):
        indexes.setdefault(rule(n), formula(n))
    return indexes


def catalogues(app: Flask | None = None) -> Catalogues:
    from lms.state import lms_state

    state = lms_state(app or current_app)
    if state.catalogues is None:
        state.catalogues = Catalogues(app or current_app)
    return state.catalogues


class _CatalogueDomain(Domain):
    """Flask-Babel's domain, reading this app's merged catalogues (built once per language)."""

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        return catalogues().translations(str(locale))


class LmsBabel(Babel):
    # Flask-Babel builds a new domain (and reloads every .mo file) per request.
    _domain = _CatalogueDomain()

    @property
    def domain_instance(self) -> Domain:
        return self._domain


def js_catalogue() -> dict[str, Any]:
    """What app.js's `LMS.gettext` needs for the current language."""
    return catalogues().javascript(current_language())


def init_i18n(app: Flask) -> None:
    from lms.extensions import babel

    babel.init_app(app, locale_selector=select_language, timezone_selector=select_timezone)
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks ignore line breaks
    app.jinja_env.globals.update(
        page_language=current_language,
        page_direction=text_direction,
        language_name=language_name,
        # The site's languages: `site_languages` in the core's templates, since a
        # view may pass a `languages` of its own (a course's language filter).
        site_languages=LANGUAGES,
        js_catalogue=js_catalogue,
    )
