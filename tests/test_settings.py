"""Typed settings: declared with a type and a range, checked on write, edited through one form."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from lms.extensions import db
from lms.models import Setting
from lms.settings import SettingsError, SettingSpec, get_setting, set_setting, set_settings
from lms.settings_form import settings_form_class


@pytest.fixture
def school(app: Flask) -> None:
    with app.app_context():
        set_setting("core", "setup_done", True)
        db.session.commit()


def _stored(app: Flask, namespace: str, key: str):
    with app.app_context():
        return db.session.scalar(
            select(Setting.value).where(Setting.namespace == namespace, Setting.key == key)
        )


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        (SettingSpec(int, 5, min=1, max=10), 11, "Must be between 1 and 10."),
        (SettingSpec(int, 5, min=1, max=10), "7", "Must be a whole number."),
        (SettingSpec(int, 5, min=1), True, "Must be a whole number."),
        (SettingSpec(int, 5, min=1), 0, "Must be at least 1."),
        (SettingSpec(float, 0.5, max=1), 1.5, "Must be at most 1."),
        (SettingSpec(float, 0.5), float("nan"), "Must be a finite number."),
        (SettingSpec(bool, False), "yes", "Must be true or false."),
        (SettingSpec(str, "", max_length=3), "abcd", "Must be at most 3 characters."),
        (SettingSpec(str, "a", choices=["a", "b"]), "c", "Must be one of: a, b."),
    ],
)
def test_a_declaration_refuses_values_outside_its_type_and_range(spec, value, message) -> None:
    with pytest.raises(SettingsError) as refused:
        spec.clean(value)
    assert refused.value.message == message


def test_a_declaration_with_an_invalid_default_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="default 200 is not valid"):
        SettingSpec(int, 200, min=0, max=100)
    with pytest.raises(TypeError):
        SettingSpec(list, [])


def test_set_setting_refuses_a_bad_value_with_a_clear_error_and_stores_nothing(app) -> None:
    with app.app_context():
        with pytest.raises(SettingsError) as refused:
            set_setting("lessons", "watched_share", 150)
        assert refused.value.status == 422
        assert refused.value.fields == {"watched_share": ["Must be between 1 and 100."]}
        assert "Must be between 1 and 100." in refused.value.message
        db.session.rollback()
        assert get_setting("lessons", "watched_share") == 90
    assert _stored(app, "lessons", "watched_share") is None


def test_unknown_settings_are_refused(app) -> None:
    with app.app_context():
        with pytest.raises(SettingsError) as refused:
            set_setting("lessons", "no_such_key", 1)
        assert refused.value.status == 404
        with pytest.raises(SettingsError):
            get_setting("nowhere", "x")


def test_set_settings_stores_all_values_or_none(app) -> None:
    with app.app_context():
        with pytest.raises(SettingsError) as refused:
            set_settings("core", {"site_name": "Hill School", "setup_done": "yes"})
        assert set(refused.value.fields) == {"setup_done"}
        db.session.rollback()
    assert _stored(app, "core", "site_name") is None


def test_a_stored_value_the_declaration_no_longer_accepts_reads_as_the_default(app) -> None:
    with app.app_context():
        db.session.add(Setting(namespace="lessons", key="watched_share", value="lots"))
        db.session.commit()
        assert get_setting("lessons", "watched_share") == 90


def test_a_plugin_with_an_untyped_setting_does_not_load(app) -> None:
    from lms.plugins import Plugin, PluginLoadError, check_declarations

    class Untyped(Plugin):
        default_settings = {"limit": 10}

    with pytest.raises(PluginLoadError, match="setting 'limit' must be declared as"):
        check_declarations(Untyped("untyped", app))


def test_the_generic_form_has_one_typed_field_per_setting(app) -> None:
    with app.test_request_context():
        lessons = settings_form_class("lessons")(formdata=None)
        assert lessons.watched_share.type == "IntegerField"
        assert "watched this share" in lessons.watched_share.description
        core = settings_form_class("core")(formdata=None)
        assert core.site_name.type == "StringField"
        assert "setup_done" not in core  # internal settings stay off the form


def test_the_settings_page_saves_valid_values_and_explains_refusals(
    app, school, client, login_as, create_user
) -> None:
    login_as(client, create_user(role="admin"))
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert "Watched share to complete a media lesson" in page.text

    refused = client.submit(
        "/admin/settings/lessons", {"lessons-watched_share": "150"}, page="/admin/settings"
    )
    assert refused.status_code == 422
    assert "Number must be between 1 and 100." in refused.text
    assert _stored(app, "lessons", "watched_share") is None

    saved = client.submit(
        "/admin/settings/lessons", {"lessons-watched_share": "75"}, page="/admin/settings"
    )
    assert saved.status_code == 302
    with app.app_context():
        assert get_setting("lessons", "watched_share") == 75

    client.submit("/admin/settings/core", {"core-site_name": "Hill School"}, page="/admin/settings")
    assert "Hill School" in client.get("/courses").text


def test_the_settings_page_is_for_those_holding_its_permission(
    app, school, client, login_as, create_user
) -> None:
    from lms.permissions import grant

    instructor = create_user(role="instructor")
    login_as(client, instructor)
    assert client.get("/admin/settings").status_code == 403
    refused = client.submit("/admin/settings/core", {"core-site_name": "X"}, page="/courses")
    assert refused.status_code == 403
    assert client.get("/admin").status_code == 403
    with app.app_context():
        grant("instructor", "core.manage_settings")
        db.session.commit()
    assert client.get("/admin/settings").status_code == 200
    assert 'href="/admin/settings"' in client.get("/admin").text


def test_cli_sets_a_setting_with_the_same_checks(app) -> None:
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["lms", "settings", "set", "lessons.watched_share", "0"])
    assert bad.exit_code != 0 and "Must be between 1 and 100." in bad.output
    good = runner.invoke(args=["lms", "settings", "set", "lessons.watched_share", "80"])
    assert good.exit_code == 0, good.output
    with app.app_context():
        assert get_setting("lessons", "watched_share") == 80
