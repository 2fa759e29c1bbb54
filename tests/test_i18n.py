"""Languages: how a page's language is chosen, catalogues merged per plugin, JS strings."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from lms.i18n import LANGUAGE_COOKIE, LANGUAGES, catalogues, language_name
from lms.testing.clients import FormClient


def _html_tag(client: FormClient, path: str = "/", **headers: str) -> str:
    page = client.get(path, headers=headers).get_data(as_text=True)
    return re.search(r"<html[^>]*>", page).group(0)


def test_the_core_ships_english_french_and_arabic() -> None:
    assert set(LANGUAGES) == {"en", "fr", "ar"}
    assert LANGUAGES[0] == "en"
    assert language_name("fr") == "Français"
    assert language_name("ar") == "العربية"


def test_the_browser_language_is_used_and_arabic_is_right_to_left(client: FormClient) -> None:
    assert 'lang="ar" dir="rtl"' in _html_tag(client, **{"Accept-Language": "ar-EG,ar;q=0.9"})
    assert 'lang="fr" dir="ltr"' in _html_tag(client, **{"Accept-Language": "fr-CA, en;q=0.5"})
    assert 'lang="en" dir="ltr"' in _html_tag(client, **{"Accept-Language": "de, ja"})


def test_a_visitors_menu_choice_beats_the_browser(client: FormClient) -> None:
    response = client.get("/language/fr?next=/courses")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/courses")
    assert 'lang="fr"' in _html_tag(client, **{"Accept-Language": "ar"})


def test_the_menu_refuses_unknown_languages_and_foreign_redirects(client: FormClient) -> None:
    assert client.get("/language/xx").status_code == 404
    response = client.get("/language/ar?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert LANGUAGE_COOKIE in response.headers["Set-Cookie"]


def test_a_signed_in_users_choice_follows_them(
    app: Flask, create_user: Any, login_as: Any, make_client: Any
) -> None:
    from lms.extensions import db
    from lms.models.user import User

    user = create_user(email="amal@example.org")
    client = login_as(make_client(), user)
    # A form like any other: refused without its CSRF token.
    assert client.post("/language", data={"language": "ar"}).status_code == 400
    assert client.submit("/language", {"language": "xx"}, page="/").status_code == 400
    response = client.submit("/language", {"language": "ar", "next": "/"}, page="/")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).language == "ar"
    # Another browser of the same person, asking for French: still Arabic.
    other = login_as(make_client(), user)
    assert 'lang="ar"' in _html_tag(other, **{"Accept-Language": "fr"})


def test_the_site_default_applies_when_the_browser_asks_for_nothing_known(
    app: Flask, client: FormClient
) -> None:
    from lms.extensions import db
    from lms.settings import set_setting

    with app.test_request_context():
        set_setting("core", "default_language", "fr")
        db.session.commit()
    assert 'lang="fr"' in _html_tag(client, **{"Accept-Language": "de"})
    assert 'lang="ar"' in _html_tag(client, **{"Accept-Language": "ar"})


def test_the_core_and_plugin_catalogues_are_merged_per_language(app: Flask) -> None:
    with app.app_context():
        merged = catalogues(app).merged("fr")
    # The core's string and the auth plugin's, from two catalogues.
    assert merged.get("Language").string == "Langue"
    assert merged.get("Sign in").string == "Se connecter"


def test_scripts_get_their_strings_in_the_page_language(client: FormClient) -> None:
    page = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="lms-i18n">(.*?)</script>', page)
    assert data is not None
    import json

    catalogue = json.loads(data.group(1))
    assert catalogue["lang"] == "ar"
    assert catalogue["plurals"] == ["zero", "one", "two", "few", "many", "other"]
