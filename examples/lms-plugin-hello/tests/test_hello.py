"""The example plugin's own tests, written with the fixtures the core ships as a pytest plugin.

They need nothing but the plugin installed (`pip install examples/lms-plugin-hello`):
`app`, `client`, `create_user` and `login_as` come from `lms.testing` without an import.
The project's suite runs them in tests/test_example_plugin.py, after installing the plugin.
"""

from __future__ import annotations

from lms.extensions import db
from lms.signals import user_registered


def _register(app, create_user, **fields):
    """A new account, announced as the auth plugin announces one."""
    user = create_user(**fields)
    with app.app_context():
        from lms.models import User

        user_registered.send(db.session.get(User, user.id), via="form")
        db.session.commit()
    return user


def test_page_nav_entry_and_home_box(client, create_user):
    create_user(role="admin")  # a site with an admin: no set-up form on the home page
    home = client.get("/").get_data(as_text=True)
    assert 'href="/hello/"' in home and 'class="card hello-box"' in home
    page = client.get("/hello/")
    assert page.status_code == 200
    assert "New users since it was installed" in page.get_data(as_text=True)


def test_signal_receiver_counts_new_users(app, client, create_user):
    _register(app, create_user)
    _register(app, create_user)
    assert client.get("/api/v1/hello/counter").get_json() == {"new_users": 2}
    result = app.test_cli_runner().invoke(args=["lms", "hello", "count"])
    assert result.exit_code == 0 and result.output.strip() == "2"


def test_a_new_user_is_welcomed_by_a_job_in_the_worker(app, create_user, worker):
    from sqlalchemy import select

    from lms.models import Notification

    user = _register(app, create_user)
    assert worker.run() == 1
    with app.app_context():
        notes = db.session.scalars(
            select(Notification).where(Notification.user_id == user.id)
        ).all()
        assert [(n.kind, n.title) for n in notes] == [
            ("hello.welcome", "Hello from the hello plugin!")
        ]


def test_only_holders_of_the_permission_may_reset(app, client, make_client, create_user, login_as):
    _register(app, create_user)
    student = login_as(client, create_user(role="student"))
    assert "Start counting again" not in student.get("/hello/").get_data(as_text=True)
    assert (
        student.post("/hello/reset", data={"csrf_token": student.csrf_token("/hello/")}).status_code
        == 403
    )
    refused = student.api("DELETE", "/api/v1/hello/counter")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert make_client().api("DELETE", "/api/v1/hello/counter").status_code == 401
    assert client.get("/api/v1/hello/counter").get_json() == {"new_users": 1}

    teacher = login_as(make_client(), create_user(role="instructor"))
    assert "Start counting again" in teacher.get("/hello/").get_data(as_text=True)
    r = teacher.submit("/hello/reset", {}, page="/hello/", follow_redirects=True)
    assert "starts again from zero" in r.get_data(as_text=True)
    assert client.get("/api/v1/hello/counter").get_json() == {"new_users": 0}


def test_reset_form_without_csrf_token_changes_nothing(app, client, create_user, login_as):
    _register(app, create_user)
    teacher = login_as(client, create_user(role="instructor"))
    assert teacher.post("/hello/reset", data={}).status_code == 400
    assert client.get("/api/v1/hello/counter").get_json() == {"new_users": 1}


def test_api_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "delete"} <= set(spec["paths"]["/api/v1/hello/counter"])
    assert "HelloCounterOut" in spec["components"]["schemas"]


def test_the_page_speaks_french_from_the_plugins_own_catalogue(client, create_user):
    create_user(role="admin")
    page = client.get("/hello/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'lang="fr"' in page
    assert "Bonjour depuis un plugin" in page
    assert "Nouveaux utilisateurs depuis son installation" in page
    home = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Le plugin hello vous dit bonjour." in home
