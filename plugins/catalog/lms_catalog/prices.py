"""Prices as people read them: "Free", or the amount in the site's currency for the locale."""

from __future__ import annotations

from functools import lru_cache

from babel.numbers import format_currency

from lms.i18n import _, current_language
from lms.settings import get_setting

DEFAULT_CURRENCY = "USD"


def site_currency() -> str:
    """Return the ISO 4217 code the school charges in (catalog setting `currency`)."""
    return (get_setting("catalog", "currency") or DEFAULT_CURRENCY).upper()


def format_price(price_cents: int, locale: str | None = None) -> str:
    """Return "Free" or the price with its currency, e.g. "$19.00" or "19,00 €".

    `locale` defaults to the page's language (or a `user_locale()` block's).
    """
    if price_cents == 0:
        return _("Free")
    return _formatted(price_cents, site_currency(), locale or current_language())


# A catalog page formats the same few prices over and over; Babel's
# formatting is a tenth of the page's time without this.
@lru_cache(maxsize=4096)
def _formatted(price_cents: int, currency: str, locale: str) -> str:
    return format_currency(price_cents / 100, currency, locale=locale)
