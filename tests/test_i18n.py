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


# --- what one person receives, in their language ----------------------------


def test_a_french_users_notification_and_mail_are_french_in_an_english_request(
    app: Flask, create_user: Any, monkeypatch: Any
) -> None:
    from datetime import UTC, datetime

    from flask_babel import format_datetime

    import lms.mail
    from lms.extensions import db
    from lms.i18n import _l, current_language, user_locale
    from lms.models.user import User
    from lms.notifications import notify

    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(lms.mail, "enqueue", lambda _job, *args: queued.append(args))
    amelie = create_user(email="amelie@example.org", name="Amélie", language="fr")
    with app.test_request_context("/", method="POST", headers={"Accept-Language": "en"}):
        user = db.session.get(User, amelie.id)
        note = notify(
            user,
            "tests.news",
            _l("Nothing new"),
            _l("When something happens in your courses, you will find it here."),
            email=True,
        )
        assert current_language() == "en"  # the request itself stays English
        db.session.commit()
        assert note.title == "Rien de nouveau"
        assert note.body.startswith("Quand il se passera quelque chose")
    ((to, subject, text, html),) = queued
    assert to == "amelie@example.org" and subject == "Rien de nouveau"
    assert "Bonjour Amélie," in text and "Bonjour Amélie," in html

    # Dates too: the person's language and time zone, not the request's.
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    tokyo = create_user(language="ar", timezone="Asia/Tokyo")
    with app.test_request_context("/"):
        with user_locale(db.session.get(User, tokyo.id)):
            assert current_language() == "ar"
            assert format_datetime(moment, "H:mm") == "21:00"
        assert format_datetime(moment, "H:mm") == "12:00"


def test_send_mail_takes_a_language_for_someone_without_an_account(
    app: Flask, monkeypatch: Any
) -> None:
    import lms.mail
    from lms.i18n import _l

    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(lms.mail, "enqueue", lambda _job, *args: queued.append(args))
    guest = type("Guest", (), {"display_name": "Sam"})()
    note = type("Note", (), {"title": "x", "body": "", "link": None})()
    with app.test_request_context("/"):
        lms.mail.send_mail(
            "sam@example.org",
            _l("Nothing new"),
            "core/mail/notification",
            language="ar",
            user=guest,
            note=note,
        )
    ((_to, subject, text, _html),) = queued
    assert subject == "لا جديد" and "مرحبًا Sam،" in text


def test_form_errors_of_wtforms_itself_speak_the_page_language(client: FormClient) -> None:
    page = client.submit("/setup", {"site_name": "", "email": ""}, page="/setup")
    assert "This field is required." in page.get_data(as_text=True)
    french = client.submit(
        "/setup", {"site_name": ""}, page="/setup", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert "Ce champ est requis." in french
    assert "Les mots de passe ne correspondent pas." in client.submit(
        "/setup",
        {"password": "a-long-password-1", "confirm": "another-password"},
        page="/setup",
        headers={"Accept-Language": "fr"},
    ).get_data(as_text=True)


def test_json_errors_speak_the_request_language_with_the_same_code(
    app: Flask, test_config: dict[str, Any]
) -> None:
    from flask import Blueprint

    from lms.app import create_app
    from lms.errors import ServiceError
    from lms.i18n import _l

    client = app.test_client()
    english = client.get("/api/v1/no-such-thing")
    french = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "fr"})
    assert english.status_code == french.status_code == 404
    assert english.json["error"] == {"code": "not_found", "message": "We could not find that page."}
    assert french.json["error"] == {
        "code": "not_found",
        "message": "Nous n’avons pas trouvé cette page.",
    }

    refusing = create_app(dict(test_config))
    bp = Blueprint("i18n_refusal_test", __name__)

    @bp.route("/api/v1/refuse-in-french")
    def refuse() -> str:
        raise ServiceError.invalid("count", _l("Enter a number."))

    refusing.register_blueprint(bp)
    answer = refusing.test_client().get(
        "/api/v1/refuse-in-french", headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    )
    assert answer.status_code == 422
    assert answer.json["error"] == {
        "code": "validation_error",
        "message": "Saisissez un nombre.",
        "fields": {"count": ["Saisissez un nombre."]},
    }


def test_error_pages_and_core_pages_are_translated(client: FormClient) -> None:
    page = client.get("/no-such-page", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "لم نعثر على هذه الصفحة." in page and "انتقل إلى المحتوى" in page
    french = client.get("/setup", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Créer mon école" in french and "Nom de l’école" in french


def test_the_field_messages_of_a_refused_api_body_are_translated(
    test_config: dict[str, Any],
) -> None:
    from flask.views import MethodView
    from marshmallow import Schema, fields, validate

    from lms.api import ApiBlueprint, register_api_blueprint
    from lms.app import create_app

    app = create_app(dict(test_config))
    blp = ApiBlueprint("i18n_fields_test", __name__, url_prefix="/i18n-test")

    class I18nTestIn(Schema):
        title = fields.String(required=True)
        code = fields.String(validate=validate.Length(max=3))

    @blp.route("/things")
    class Things(MethodView):
        @blp.arguments(I18nTestIn)
        def post(self, args: dict[str, Any]) -> dict[str, Any]:
            return args

    register_api_blueprint(app, blp)
    answer = app.test_client().post(
        "/api/v1/i18n-test/things", json={"code": "toolong"}, headers={"Accept-Language": "fr"}
    )
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "Certaines valeurs ne sont pas valides."
    assert error["fields"] == {
        "title": ["Donnée manquante pour un champ obligatoire."],
        "code": ["Plus long que la longueur maximale de 3."],
    }


def test_notification_times_are_in_the_readers_language_and_time_zone(
    app: Flask, create_user: Any, login_as: Any, make_client: Any
) -> None:
    from datetime import UTC, datetime

    from lms.extensions import db
    from lms.models.notification import Notification

    reader = create_user(language="ar", timezone="Asia/Tokyo")
    with app.app_context():
        db.session.add(
            Notification(
                user_id=reader.id,
                kind="tests.news",
                title="x",
                created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
            )
        )
        db.session.commit()
    page = login_as(make_client(), reader).get("/notifications").get_data(as_text=True)
    assert "<h1>الإشعارات</h1>" in page
    # 23:30 UTC is 08:30 the next morning in Tokyo ("ص": before noon, in Arabic).
    assert "2026-03-01T23:30:00+00:00" in page
    assert "02\u200f/03\u200f/2026" in page and "8:30:00 ص" in page


def test_the_settings_page_speaks_the_admins_language(
    create_user: Any, login_as: Any, make_client: Any
) -> None:
    admin = login_as(make_client(), create_user(role="admin", language="ar"))
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert '<h2 id="settings-core-title">الموقع</h2>' in page
    assert "اسم المدرسة" in page and "المنطقة الزمنية للمدرسة" in page and "حفظ" in page
    saved = admin.submit(
        "/admin/settings/core",
        {"core-site_name": "مدرسة النور", "core-default_language": "ar", "core-timezone": "UTC"},
        page="/admin/settings",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "حُفظت إعدادات «الموقع»." in saved
