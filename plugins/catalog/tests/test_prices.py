"""Prices carry the site's currency and read as the locale writes them."""

from __future__ import annotations

from lms.extensions import db
from lms.settings import set_setting


def test_prices_show_the_site_currency_on_cards_and_the_course_page(
    app, make_client, instructor, create_course
):
    course = create_course(instructor, "Paid Pottery", price_cents=1900)
    create_course(instructor, "Free Folk Songs")
    guest = make_client()
    catalog = guest.get("/courses").text
    assert "$19.00" in catalog and "Free" in catalog
    assert "$19.00" in guest.get(f"/courses/{course.slug}").text

    with app.app_context():
        set_setting("catalog", "currency", "EUR")
        db.session.commit()
    assert "€19.00" in make_client().get(f"/courses/{course.slug}").text


def test_a_price_is_formatted_for_the_readers_locale(app):
    from lms_catalog.prices import format_price

    with app.app_context():
        assert format_price(0) == "Free"
        assert format_price(123456, locale="en") == "$1,234.56"
        assert format_price(123456, locale="fr").replace("\u202f", " ").replace("\xa0", " ") == (
            "1 234,56 $US"
        )
