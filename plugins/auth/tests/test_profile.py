"""Profiles (page and API), avatars, API tokens on the profile page, public profiles."""

from __future__ import annotations

import io

from PIL import Image

from lms.extensions import db
from lms.models import User


def png(width=600, height=400, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def test_profile_page_saves_fields(app, client, create_user, login_as):
    user = create_user(username="rosa", email="rosa@example.org")
    login_as(client, user)
    r = client.submit(
        "/auth/profile",
        {
            "username": "Rosa.P",
            "name": "Rosa Parks",
            "bio": "Teaches civics.\nLoves maps.",
            "country": "US",
            "link_website": "https://rosa.example",
            "link_github": "",
        },
    )
    assert r.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.username, saved.name, saved.country) == ("rosa.p", "Rosa Parks", "US")
        assert saved.bio == "Teaches civics.\nLoves maps."
        assert saved.links == {"website": "https://rosa.example"}
    page = client.get(f"/auth/users/{user.id}").get_data(as_text=True)
    assert "Rosa Parks" in page and "https://rosa.example" in page


def test_profile_username_clash_is_a_form_error(app, client, create_user, login_as):
    create_user(username="taken")
    user = create_user(username="rosa")
    login_as(client, user)
    r = client.submit("/auth/profile", {"username": "TAKEN", "country": ""})
    assert r.status_code == 422 and "username is taken" in r.get_data(as_text=True)


def test_avatar_upload_is_resized_and_served(app, client, create_user, login_as):
    user = create_user(username="rosa")
    login_as(client, user)
    r = client.submit(
        "/auth/profile/avatar",
        {"avatar": (io.BytesIO(png()), "me.png")},
        page="/auth/profile",
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    served = client.get(f"/auth/avatar/{user.id}", follow_redirects=True)
    assert served.status_code == 200
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "PNG" and max(image.size) == 256
    api = client.get(f"/api/v1/users/{user.id}").json
    assert api["avatar_url"].endswith(f"/auth/avatar/{user.id}")


def test_avatar_that_is_not_an_image_is_refused(app, client, create_user, login_as):
    user = create_user(username="rosa")
    login_as(client, user)
    for name, data in [
        ("evil.png", b"<?php system($_GET['c']); ?>"),
        ("empty.png", b""),
        ("notes.txt", b"hello"),
    ]:
        r = client.submit(
            "/auth/profile/avatar",
            {"avatar": (io.BytesIO(data), name)},
            page="/auth/profile",
            content_type="multipart/form-data",
        )
        assert r.status_code == 422, name
        assert 'class="errors"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).avatar_key is None
    assert client.get(f"/auth/avatar/{user.id}").status_code == 404


def test_api_profile_read_and_patch(client, create_user):
    create_user(username="rosa", email="rosa@example.org")
    token = client.post(
        "/api/v1/auth/login",
        json={"login": "rosa", "password": "correct-horse-battery-staple"},
    ).json["token"]
    r = client.api(
        "PATCH",
        "/api/v1/users/me",
        json={"bio": "Hi", "country": "fr", "links": {"github": "https://github.com/rosa"}},
        token=token,
    )
    assert r.status_code == 200, r.json
    assert r.json["country"] == "FR" and r.json["links"] == {"github": "https://github.com/rosa"}
    me = client.api("GET", "/api/v1/users/me", token=token).json
    assert me["email"] == "rosa@example.org" and me["bio"] == "Hi"
    public = client.api("GET", f"/api/v1/users/{me['id']}", token=token).json
    assert public["bio"] == "Hi" and "email" not in public and "last_login_at" not in public


def test_deactivated_users_have_no_public_profile(client, create_user, login_as):
    user = create_user(is_deactivated=True)
    login_as(client, create_user())
    assert client.get(f"/api/v1/users/{user.id}").status_code == 404
    assert client.get(f"/auth/users/{user.id}").status_code == 404


def test_profiles_are_for_signed_in_members_only(client, create_user, login_as):
    """Nobody can walk the user ids anonymously; members of the school see profiles."""
    user = create_user(name="Rosa Bonheur", bio="Painter")
    r = client.get(f"/api/v1/users/{user.id}")
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert "Rosa" not in r.get_data(as_text=True)
    r = client.get(f"/auth/users/{user.id}")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    # An unknown id answers the same as a known one: no enumeration by status either.
    assert client.get("/api/v1/users/999999").status_code == 401
    login_as(client, create_user())
    assert client.get(f"/api/v1/users/{user.id}").json["name"] == "Rosa Bonheur"
    assert "Painter" in client.get(f"/auth/users/{user.id}").get_data(as_text=True)


def test_tokens_are_created_listed_with_last_use_and_revoked(app, client, create_user, login_as):
    user = create_user(username="rosa")
    login_as(client, user)
    r = client.submit("/auth/tokens", {"name": "grading script"}, page="/auth/profile")
    html = r.get_data(as_text=True)
    token = html.split('data-testid="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("lms_")
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "grading script" in page and token not in page
    assert '<td data-testid="last-used">never</td>' in page
    api = client.application.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/auth/me", headers=bearer).status_code == 200
    page = client.get("/auth/profile").get_data(as_text=True)
    assert '<td data-testid="last-used">never</td>' not in page
    from lms_auth.models import AuthApiToken

    with app.app_context():
        row = db.session.scalar(db.select(AuthApiToken))
        assert row.last_used_at is not None and row.token_hash != token
    client.submit(f"/auth/tokens/{row.id}/revoke", {}, page="/auth/profile")
    assert api.get("/api/v1/auth/me", headers=bearer).status_code == 401
    page = client.get("/auth/profile").get_data(as_text=True)
    assert 'data-testid="last-used"' not in page and "No tokens yet." in page


def test_cannot_revoke_someone_elses_token(app, client, create_user, login_as):
    owner = create_user(username="owner")
    from lms_auth import services

    with app.app_context():
        raw, row = services.issue_api_token(db.session.get(User, owner.id), "theirs")
        db.session.commit()
        row_id = row.id
    login_as(client, create_user(username="intruder"))
    r = client.submit(f"/auth/tokens/{row_id}/revoke", {}, page="/auth/profile")
    assert r.status_code == 404
    api = client.application.test_client()
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_navigation_shows_the_right_items(client, create_user, login_as):
    page = client.get("/auth/login").get_data(as_text=True)
    assert ">Sign in<" in page and ">Register<" in page and ">Sign out<" not in page
    login_as(client, create_user(role="admin"))
    page = client.get("/auth/profile").get_data(as_text=True)
    assert ">Profile<" in page and ">Sign out<" in page and ">Register<" not in page
