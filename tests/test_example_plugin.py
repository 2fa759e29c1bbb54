"""A third party's plugin: pip install, upgrade, use, pip uninstall, and the site still works."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lms.config import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "examples" / "lms-plugin-hello"
PAGE_CHECK = """
import json
from lms.app import create_app
app = create_app()
client = app.test_client()
home = client.get("/").get_data(as_text=True)
hello = client.get("/hello/")
print(json.dumps({"hello_status": hello.status_code,
                  "hello_body": hello.get_data(as_text=True),
                  "nav_has_hello": 'href="/hello/"' in home,
                  "home_box": '<aside class="card hello-box">' in home}))
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def plugin_names(env: dict[str, str]) -> list[str]:
    out = run([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "plugins", "--json"], env)
    return [p["name"] for p in json.loads(out.stdout)]


def tables(db_file: Path) -> set[str]:
    with sqlite3.connect(db_file) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.mark.slow
def test_example_plugin_install_use_and_uninstall(tmp_path: Path, redis_url: str) -> None:
    db_file = tmp_path / "hello.sqlite3"
    env = dict(
        os.environ,
        LMS_ENV="testing",
        LMS_INSTANCE_PATH=str(tmp_path),
        DATABASE_URL=f"sqlite:///{db_file}",
        REDIS_URL=redis_url,
    )
    env.pop("TEST_DATABASE_URL", None)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "lms"]

    if "hello" in plugin_names(env):  # left behind by an interrupted earlier run
        run([*pip, "uninstall", "-y", "lms-plugin-hello"], env)
    assert "hello" not in plugin_names(env)
    try:
        run([*pip, "install", "--no-deps", "--no-build-isolation", str(EXAMPLE)], env)
        assert "hello" in plugin_names(env)

        run([*flask, "upgrade"], env)
        assert {"hello_counters", "alembic_version_hello"} <= tables(db_file)

        # The signal receiver counts the new (admin) user.
        run(
            [
                *flask,
                "create-admin",
                "--email",
                "head@example.org",
                "--password",
                "a-long-admin-password",
            ],
            env,
        )
        assert run([*flask, "hello", "count"], env).stdout.strip() == "1"

        page = json.loads(run([sys.executable, "-c", PAGE_CHECK], env).stdout)
        assert page["hello_status"] == 200
        assert "New users since it was installed" in page["hello_body"]
        assert page["nav_has_hello"] and page["home_box"]

        # The tests the example ships, with the fixtures the core ships, on
        # services of their own (SQLite and an embedded Redis in their tmp dirs).
        own = {k: v for k, v in env.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        own.pop("LMS_INSTANCE_PATH")
        result = run(
            [sys.executable, "-m", "pytest", str(EXAMPLE / "tests"), "-q", "-p", "no:randomly"],
            own,
        )
        assert " passed" in result.stdout and "failed" not in result.stdout, result.stdout
    finally:
        run([*pip, "uninstall", "-y", "lms-plugin-hello"], env)

    assert "hello" not in plugin_names(env)
    run([*flask, "upgrade"], env)  # its version table is simply no longer consulted
    page = json.loads(run([sys.executable, "-c", PAGE_CHECK], env).stdout)
    assert page["hello_status"] == 404
    assert not page["nav_has_hello"] and not page["home_box"]
