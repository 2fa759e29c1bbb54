"""Security baseline: headers, cookies, CSRF, request size, the generated secret key."""

from __future__ import annotations

import stat

from lms.extensions import db
from lms.models import User


def _csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_pages_carry_security_headers(client):
    response = client.get("/setup")
    assert response.status_code == 200
    csp = _csp(response)
    frames = csp["frame-src"]
    for host in (
        "https://www.youtube.com",
        "https://www.youtube-nocookie.com",
        "https://www.dailymotion.com",
        "https://meet.jit.si",
    ):
        assert host in frames
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "https://meet.jit.si" in response.headers["Permissions-Policy"]
    # Plain HTTP in tests and development: no HSTS unless production asks for it.
    assert "Strict-Transport-Security" not in response.headers


def test_inline_scripts_need_this_requests_nonce(client):
    first = _csp(client.get("/setup"))["script-src"]
    second = _csp(client.get("/setup"))["script-src"]
    nonces = [v for v in first + second if v.startswith("'nonce-")]
    assert len(nonces) == 2 and nonces[0] != nonces[1]


def test_error_pages_and_json_carry_security_headers_too(client):
    for response in (client.get("/no-such-page"), client.get("/health")):
        assert "frame-src" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite_lax(client):
    client.get("/setup")  # the form's CSRF token lives in the session
    response = client.get("/setup")
    cookie = client.get_cookie("session")
    assert cookie is not None, response.headers
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_production_cookies_are_secure(app):
    from lms.config import CONFIG_DIR

    namespace: dict = {}
    exec((CONFIG_DIR / "production.py").read_text(), namespace)  # noqa: S102 - our own config
    assert namespace["SESSION_COOKIE_SECURE"] is True
    assert namespace["REMEMBER_COOKIE_SECURE"] is True
    assert namespace["LMS_HSTS"] is True


# --- request size --------------------------------------------------------------------------


def test_request_larger_than_max_content_length_is_refused(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    token = client.csrf_token("/setup")
    response = client.post(
        "/setup",
        data={"csrf_token": token, "site_name": "x" * 10_000},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 413
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_default_max_content_length_is_set(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 1024**3


# --- the secret key --------------------------------------------------------------------------


def _secret_key_app(instance, test_config, **overrides):
    from lms.app import create_app

    return create_app(
        {**test_config, "SECRET_KEY": None, "LMS_INSTANCE_PATH": str(instance), **overrides}
    )


def test_secret_key_is_generated_private_and_reused(tmp_path, test_config, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = _secret_key_app(tmp_path, test_config)
    key_file = tmp_path / "secret_key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32 and key == key_file.read_text().strip()

    # The next start (a restart, or the worker) uses the same key: sessions survive.
    second = _secret_key_app(tmp_path, test_config)
    assert second.config["SECRET_KEY"] == key
    # Another site (another instance folder) gets its own key.
    assert _secret_key_app(tmp_path / "other", test_config).config["SECRET_KEY"] != key


def test_configured_secret_key_wins_and_nothing_is_written(tmp_path, test_config):
    app = _secret_key_app(tmp_path, test_config, SECRET_KEY="configured-by-the-operator")
    assert app.config["SECRET_KEY"] == "configured-by-the-operator"
    assert not (tmp_path / "secret_key").exists()


def test_secret_key_from_the_environment(tmp_path, test_config, monkeypatch):
    from lms.app import create_app

    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    overrides = {k: v for k, v in test_config.items() if k != "SECRET_KEY"}
    app = create_app({**overrides, "LMS_INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-the-environment"


# --- Content-Security-Policy ----------------------------------------------------------------


def test_csp_allows_no_inline_styles_and_no_images_or_connections_from_anywhere(client):
    csp = _csp(client.get("/courses"))
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["connect-src"] == ["'self'", "ws://localhost"]
    assert "https:" not in csp["media-src"]


def test_csp_names_the_s3_storage_when_files_live_there(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "s3")
    monkeypatch.setitem(app.config, "STORAGE_S3_ENDPOINT_URL", "https://minio.school.example:9000")
    monkeypatch.setitem(app.config, "LMS_IMAGE_SOURCES", ["https://images.school.example"])
    csp = _csp(client.get("/health"))
    assert "https://minio.school.example:9000" in csp["media-src"]
    assert "https://minio.school.example:9000" in csp["connect-src"]
    assert "https://images.school.example" in csp["img-src"]


def test_templates_carry_no_inline_styles():
    """A style attribute or <style> block would need 'unsafe-inline' in the CSP."""
    from lms.config import PROJECT_ROOT

    folders = [PROJECT_ROOT / "templates", *PROJECT_ROOT.glob("plugins/*/lms_*/templates")]
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for folder in folders
        for path in folder.rglob("*.html")
        if "style=" in path.read_text() or "<style" in path.read_text()
    ]
    assert offenders == []


# --- CSRF tokens expire -----------------------------------------------------------------------


def test_csrf_tokens_expire_after_a_school_day(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 8 * 3600


def test_a_form_left_open_too_long_comes_back_with_a_message(
    app, client, create_user, login_as, monkeypatch
):
    import time

    from itsdangerous import URLSafeTimedSerializer
    from itsdangerous.timed import TimestampSigner

    from lms.settings import set_setting

    with app.app_context():
        set_setting("core", "setup_done", True)
        db.session.commit()
    user = create_user(name="Before")
    login_as(client, user)
    client.csrf_token("/auth/profile")
    # The page was opened nine hours ago: its token carries that time (signed
    # here as Flask-WTF does, with the clock turned back for this one signature).
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    opened = int(time.time()) - 9 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: opened)
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    monkeypatch.undo()
    r = client.post(
        "/auth/profile",
        data={"csrf_token": token, "name": "After", "username": user.username},
        headers={"Referer": "http://localhost/auth/profile"},
    )
    assert r.status_code == 302 and r.headers["Location"] == "/auth/profile"
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "open for too long" in page
    with app.app_context():
        assert db.session.get(User, user.id).name == "Before"
    # Without a page to go back to, the answer is a clear 400, never a bare one.
    r = client.post("/auth/profile", data={"csrf_token": token, "name": "After"})
    assert r.status_code == 400 and "reload the page" in r.get_data(as_text=True)
