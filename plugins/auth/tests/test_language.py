"""Each person's language and time zone: the profile form, the API, pages, dates and mails."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.header import decode_header, make_header

from lms.extensions import db
from lms.models import User


def _lang(page: str) -> str:
    return re.search(r'<html[^>]*\blang="([^"]+)"', page).group(1)


def test_choosing_french_in_the_profile_makes_the_next_page_french(
    app, client, create_user, login_as
):
    user = create_user(username="rosa")
    login_as(client, user)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert _lang(page) == "en"
    # Each language in its own name, after the browser's language; zones after the school's.
    assert "Browser&#39;s language" in page or "Browser's language" in page
    assert ">Français</option>" in page and ">العربية</option>" in page
    assert ">Europe/Paris</option>" in page

    r = client.submit(
        "/auth/profile",
        {"username": "rosa", "country": "", "language": "fr", "timezone": "Europe/Paris"},
    )
    assert r.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.language, saved.timezone) == ("fr", "Europe/Paris")

    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert _lang(page) == "fr"
    assert "Votre profil" in page
    assert "Votre profil est enregistré." in page  # the message already speaks the new language
    assert '<option selected value="fr">' in page or 'value="fr" selected' in page

    # Back to the browser's language: "" stores None.
    client.submit("/auth/profile", {"username": "rosa", "country": "", "language": ""})
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.language, saved.timezone) == (None, "Europe/Paris")
    page = client.get("/auth/profile", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in page and "ملفك الشخصي" in page


def test_the_profile_form_refuses_unknown_languages_and_zones(app, client, create_user, login_as):
    user = create_user(username="rosa")
    login_as(client, user)
    for field, value in (("language", "xx"), ("timezone", "Mars/Olympus_Mons")):
        r = client.submit("/auth/profile", {"username": "rosa", "country": "", field: value})
        assert r.status_code == 422, field
        assert "from the list." in r.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.language, saved.timezone) == (None, None)


def test_the_api_reads_and_changes_language_and_time_zone(app, client, create_user, login_as):
    user = create_user(username="rosa")
    login_as(client, user)
    me = client.api("GET", "/api/v1/users/me").json
    assert me["language"] is None and me["timezone"] is None

    r = client.api("PATCH", "/api/v1/users/me", {"language": "ar", "timezone": "Africa/Cairo"})
    assert r.status_code == 200, r.json
    assert (r.json["language"], r.json["timezone"]) == ("ar", "Africa/Cairo")
    assert client.api("GET", "/api/v1/users/me").json["language"] == "ar"
    # The next answer speaks Arabic.
    r = client.api("PATCH", "/api/v1/users/me", {"language": "klingon"})
    assert r.status_code == 422
    assert "language" in r.json["error"]["fields"]
    assert "اختر لغة من القائمة." in r.json["error"]["fields"]["language"]

    # Bad input changes nothing, not even the valid fields sent with it.
    for body in (
        {"language": "xx", "name": "Changed"},
        {"timezone": "Nowhere/Land", "name": "Changed"},
        {"timezone": 12},
        {"language": ["fr"]},
    ):
        r = client.api("PATCH", "/api/v1/users/me", body)
        assert r.status_code == 422, body
        assert r.json["error"]["code"] == "validation_error"
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.language, saved.timezone, saved.name) == ("ar", "Africa/Cairo", user.name)

    # null goes back to the defaults (the browser's language, the school's zone).
    r = client.api("PATCH", "/api/v1/users/me", {"language": None, "timezone": None})
    assert r.status_code == 200
    assert (r.json["language"], r.json["timezone"]) == (None, None)


def test_openapi_documents_language_and_time_zone(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    patch = next(s for name, s in schemas.items() if name.startswith("ProfilePatch"))
    user = next(s for name, s in schemas.items() if name == "User")
    for schema in (patch, user):
        assert {"language", "timezone"} <= set(schema["properties"])


def test_dates_follow_the_readers_language_and_time_zone(app, client, create_user, login_as):
    from lms_auth.models import AuthLoginAttempt

    admin = create_user(role="admin", language="fr", timezone="Asia/Tokyo")
    with app.app_context():
        db.session.add(
            AuthLoginAttempt(
                login="someone@example.org",
                via="form",
                success=False,
                reason="wrong_password",
                created_at=datetime(2026, 3, 5, 22, 30, tzinfo=UTC),
            )
        )
        db.session.commit()
    login_as(client, admin)
    page = client.get("/auth/admin/login-attempts").get_data(as_text=True)
    # 22:30 UTC is 07:30 the next morning in Tokyo, in French.
    assert "6 mars 2026" in page and "07:30" in page
    assert "mauvais mot de passe" in page and "échec" in page


def test_mails_speak_their_readers_language(app, client, create_user, mail):
    create_user(email="ines@example.org", language="fr")
    r = client.submit("/auth/password/forgot", {"email": "ines@example.org"})
    assert r.status_code == 302
    (message,) = mail("ines@example.org")
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "Réinitialisez votre mot de passe"
    body = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "Bonjour" in body and "Choisissez un nouveau mot de passe ici :" in body

    # Arabic mails are laid out right to left.
    create_user(email="amal@example.org", language="ar")
    client.submit("/auth/password/forgot", {"email": "amal@example.org"})
    (message,) = mail("amal@example.org")
    html = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/html"
    )
    assert 'lang="ar" dir="rtl"' in html and "مرحبًا" in html


def test_notifications_are_written_in_each_readers_language(app, client, create_user):
    from lms.models import Notification

    create_user(username="ravi", language="ar")
    create_user(username="head", role="admin", language="fr")

    def token(username: str) -> str:
        body = {"login": username, "password": "correct-horse-battery-staple"}
        return client.application.test_client().post("/api/v1/auth/login", json=body).json["token"]

    student, admin = token("ravi"), token("head")
    # The student's request speaks English; the admin still reads French.
    r = client.api(
        "POST",
        "/api/v1/instructor-applications",
        json={"bio": "Ten years teaching chemistry."},
        token=student,
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 201
    r = client.api(
        "POST",
        f"/api/v1/admin/instructor-applications/{r.json['id']}/reject",
        json={"note": "Add a sample lesson."},
        token=admin,
    )
    assert r.status_code == 200
    with app.app_context():
        notes = db.session.scalars(db.select(Notification)).all()
        titles = {db.session.get(User, n.user_id).username: n.title for n in notes}
    assert titles["head"].startswith("Candidature d'enseignant de ")
    assert titles["ravi"] == "لم تتم الموافقة على طلبك للتدريس"


def test_numbers_in_messages_are_written_for_the_locale(app, client, create_user, login_as):
    login_as(client, create_user(language="fr"))
    r = client.api("PATCH", "/api/v1/users/me", {"bio": "x" * 2001})
    assert r.status_code == 422
    (message,) = r.json["error"]["fields"]["bio"]
    assert message == "Le texte vous présentant comporte au plus 2\u202f000 caractères."
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "Vous êtes connecté sur 1 navigateur." in page
