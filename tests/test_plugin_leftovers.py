"""What an uninstalled plugin leaves behind: `lms drop-tables`, and readable revision ids."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from lms.config import PROJECT_ROOT
from lms.migrations import Component, next_revision_id, write_revision

GHOST_TABLES = ("ghost_items", "ghost_notes", "alembic_version_ghost")


def _table_names(app) -> set[str]:
    from lms.extensions import db

    with app.app_context():
        return set(inspect(db.engine).get_table_names())


@pytest.fixture
def ghost_tables(app):
    """Tables and a setting as a plugin called "ghost" would leave them once uninstalled."""
    from lms.extensions import db
    from lms.models import Setting

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE ghost_items (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
        conn.execute(
            text(
                "CREATE TABLE ghost_notes (id INTEGER PRIMARY KEY, "
                "item_id INTEGER REFERENCES ghost_items (id))"
            )
        )
        conn.execute(text("CREATE TABLE alembic_version_ghost (version_num VARCHAR(32))"))
        # Not the ghost's: another name that merely starts alike.
        conn.execute(text("CREATE TABLE ghostly_things (id INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO ghost_items (id, name) VALUES (1, 'a'), (2, 'b')"))
        conn.execute(text("INSERT INTO ghost_notes (id, item_id) VALUES (1, 1)"))
        conn.execute(text("INSERT INTO alembic_version_ghost VALUES ('0001_ghost')"))
    with app.app_context():
        db.session.add(Setting(namespace="ghost", key="colour", value="grey"))
        db.session.commit()
    yield
    with app.app_context(), db.engine.begin() as conn:
        for name in ("ghost_notes", "ghost_items", "alembic_version_ghost", "ghostly_things"):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _ghost_settings(app) -> int:
    from sqlalchemy import func, select

    from lms.extensions import db
    from lms.models import Setting

    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Setting).where(Setting.namespace == "ghost")
        )


def test_drop_tables_lists_what_is_left_and_drops_it_after_confirmation(app, ghost_tables):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["lms", "drop-tables", "ghost"], input="n\n")
    assert refused.exit_code != 0
    assert "table ghost_items (2 rows)" in refused.output
    assert "table ghost_notes (1 rows)" in refused.output
    assert "table alembic_version_ghost (1 rows)" in refused.output
    assert "1 setting(s)" in refused.output
    assert "ghostly_things" not in refused.output
    assert set(GHOST_TABLES) <= _table_names(app)  # answering no changed nothing
    assert _ghost_settings(app) == 1

    done = runner.invoke(args=["lms", "drop-tables", "ghost"], input="y\n")
    assert done.exit_code == 0, done.output
    assert "Dropped 3 table(s)" in done.output
    left = _table_names(app)
    assert not set(GHOST_TABLES) & left
    assert "ghostly_things" in left
    assert _ghost_settings(app) == 0

    again = runner.invoke(args=["lms", "drop-tables", "ghost", "--yes"])
    assert again.exit_code == 0 and "left nothing" in again.output


def test_drop_tables_refuses_an_installed_plugin(app):
    result = app.test_cli_runner().invoke(args=["lms", "drop-tables", "lessons", "--yes"])
    assert result.exit_code != 0
    assert "is installed; uninstall it" in result.output
    assert "lessons_lessons" in _table_names(app)


def test_drop_tables_refuses_a_name_that_is_no_plugin_name(app):
    result = app.test_cli_runner().invoke(args=["lms", "drop-tables", "users; --", "--yes"])
    assert result.exit_code != 0 and "is not a plugin name" in result.output


def test_revision_ids_read_as_component_and_purpose() -> None:
    assert next_revision_id("hello", "counters", 0) == "0001_hello"
    assert next_revision_id("lessons", "API!", 1) == "0002_lessons_api"
    long = next_revision_id("assessments", "add the grading rubric tables", 4)
    assert long.startswith("0005_assessments_add") and len(long) <= 32


def test_first_revision_of_a_new_plugin_is_named_after_it(tmp_path: Path) -> None:
    """`lms revision <plugin>` on an empty history writes 0001_<plugin>, then 0002_<plugin>_..."""
    scaffold = PROJECT_ROOT / "examples" / "lms-plugin-hello" / "lms_hello" / "migrations"
    folder = tmp_path / "migrations"
    (folder / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        shutil.copy(scaffold / name, folder / name)
    component = Component("ghost", folder, "alembic_version_ghost", lambda t: False)

    first = write_revision(component, "ghost tables", autogenerate=False)
    second = write_revision(component, "add notes", autogenerate=False)

    assert (first, second) == ("0001_ghost", "0002_ghost_add_notes")
    files = sorted(p.name for p in (folder / "versions").glob("*.py"))
    assert files == ["0001_ghost.py", "0002_ghost_add_notes.py"]
    second_file = (folder / "versions" / files[1]).read_text()
    assert "revision = '0002_ghost_add_notes'" in second_file
    assert "down_revision = '0001_ghost'" in second_file


def test_drop_tables_also_drops_the_plugins_triggers_on_core_tables(app, create_user):
    """A plugin that followed users' names with a trigger leaves users writable when dropped."""
    from lms.extensions import db
    from lms.models import User

    user = create_user(name="Before")
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE ghost_names (id INTEGER PRIMARY KEY, name VARCHAR(80))"))
        if conn.dialect.name == "sqlite":
            conn.execute(text("CREATE VIRTUAL TABLE ghost_search USING fts5(name)"))
            conn.execute(
                text(
                    "CREATE TRIGGER ghost_user_renamed AFTER UPDATE OF name ON users BEGIN "
                    "INSERT INTO ghost_names (name) VALUES (NEW.name); "
                    "INSERT INTO ghost_search (name) VALUES (NEW.name); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION ghost_user_renamed() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN INSERT INTO ghost_names (name) VALUES (NEW.name); RETURN NULL; "
                    "END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER ghost_user_renamed AFTER UPDATE OF name ON users "
                    "FOR EACH ROW EXECUTE FUNCTION ghost_user_renamed()"
                )
            )
    done = app.test_cli_runner().invoke(args=["lms", "drop-tables", "ghost", "--yes"])
    assert done.exit_code == 0, done.output
    assert not {n for n in _table_names(app) if n.startswith("ghost_")}
    with app.app_context():
        db.session.get(User, user.id).name = "After"
        db.session.commit()  # the trigger went with the plugin's tables
        assert db.session.get(User, user.id).name == "After"
