"""The public API for other plugins, and the admin's sign-in log."""

from __future__ import annotations

import pytest
from flask_login import login_user
from lms_auth import has_verified_email, verified_email_required
from werkzeug.exceptions import Forbidden

from lms.errors import ApiError
from lms.extensions import db
from lms.models import User
from lms.testing.plugin import DEFAULT_PASSWORD


@verified_email_required
def post_comment():
    return "posted"


def test_unverified_users_are_refused_by_the_guard(app, create_user):
    unverified = create_user(verified=False)
    verified = create_user(verified=True)
    with app.app_context():
        assert not has_verified_email(db.session.get(User, unverified.id))
        assert has_verified_email(db.session.get(User, verified.id))
        with app.test_request_context("/courses/x/enrol", method="POST"):
            login_user(db.session.get(User, unverified.id))
            response = post_comment()
            assert response.status_code == 302
        with app.test_request_context("/api/v1/comments", method="POST"):
            login_user(db.session.get(User, unverified.id))
            with pytest.raises(ApiError) as refused:
                post_comment()
            assert refused.value.error_code == "email_not_verified"
        with app.test_request_context("/lessons/1"):
            login_user(db.session.get(User, unverified.id))
            with pytest.raises(Forbidden):
                post_comment()
        with app.test_request_context("/courses/x/enrol", method="POST"):
            login_user(db.session.get(User, verified.id))
            assert post_comment() == "posted"


def test_admin_reads_the_sign_in_log(client, make_client, create_user, login_as):
    create_user(username="alex")
    client.submit("/auth/login", {"login": "alex", "password": "wrong-password-1"})
    client.submit("/auth/login", {"login": "alex", "password": DEFAULT_PASSWORD})
    admin = make_client()
    login_as(admin, create_user(role="admin"))
    page = admin.get("/auth/admin/login-attempts?q=ale").get_data(as_text=True)
    assert "failed (wrong password)" in page and "success" in page and "127.0.0.1" in page
    assert "Nothing matches" in admin.get("/auth/admin/login-attempts?q=%25_").get_data(
        as_text=True
    )
    assert client.get("/auth/admin/login-attempts").status_code == 403
