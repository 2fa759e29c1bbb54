"""A third party's plugin: pip install, upgrade, use, pip uninstall, and the site still works."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import sysconfig
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
french = client.get("/hello/", headers={"Accept-Language": "fr"})
print(json.dumps({"hello_status": hello.status_code,
                  "hello_body": hello.get_data(as_text=True),
                  "hello_french": french.get_data(as_text=True),
                  "nav_has_hello": 'href="/hello/"' in home,
                  "home_box": '<aside class="card hello-box">' in home}))
"""


@pytest.fixture
def python(tmp_path: Path) -> str:
    """Return the interpreter of a virtualenv of this test's own that sees the project's packages.

    The plugin is installed into it, not into the project's .venv, where tests
    running in parallel would load a plugin whose tables their databases lack.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    own = Path(
        subprocess.run(
            [
                venv / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    project = sysconfig.get_paths()["purelib"]
    # A .pth line starting with "import" runs: the project's site-packages is
    # added with its own .pth files (the editable installs of lms and plugins).
    (own / "project-venv.pth").write_text(f"import site; site.addsitedir({project!r})\n")
    return str(venv / "bin" / "python")


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def plugin_names(python: str, env: dict[str, str]) -> list[str]:
    out = run([python, "-m", "flask", "--app", "wsgi", "lms", "plugins", "--json"], env)
    return [p["name"] for p in json.loads(out.stdout)]


def tables(db_file: Path) -> set[str]:
    with sqlite3.connect(db_file) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.mark.slow
def test_example_plugin_install_use_and_uninstall(
    tmp_path: Path, redis_url: str, python: str
) -> None:
    db_file = tmp_path / "hello.sqlite3"
    env = dict(
        os.environ,
        LMS_ENV="testing",
        LMS_INSTANCE_PATH=str(tmp_path),
        DATABASE_URL=f"sqlite:///{db_file}",
        REDIS_URL=redis_url,
    )
    env.pop("TEST_DATABASE_URL", None)
    pip = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
    flask = [python, "-m", "flask", "--app", "wsgi", "lms"]

    assert "hello" not in plugin_names(python, env)
    try:
        run([*pip, "install", "--no-deps", "--no-build-isolation", str(EXAMPLE)], env)
        assert "hello" in plugin_names(python, env)

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

        page = json.loads(run([python, "-c", PAGE_CHECK], env).stdout)
        assert page["hello_status"] == 200
        assert "New users since it was installed" in page["hello_body"]
        # Its French catalogue came with the wheel.
        assert "Nouveaux utilisateurs depuis son installation" in page["hello_french"]
        assert page["nav_has_hello"] and page["home_box"]

        # The tests the example ships, with the fixtures the core ships, on
        # services of their own (SQLite and an embedded Redis in their tmp dirs).
        own = {k: v for k, v in env.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        own.pop("LMS_INSTANCE_PATH")
        result = run(
            [python, "-m", "pytest", str(EXAMPLE / "tests"), "-q", "-p", "no:randomly"],
            own,
        )
        assert " passed" in result.stdout and "failed" not in result.stdout, result.stdout
    finally:
        run([*pip, "uninstall", "-y", "lms-plugin-hello"], env)

    assert "hello" not in plugin_names(python, env)
    run([*flask, "upgrade"], env)  # its version table is simply no longer consulted
    page = json.loads(run([python, "-c", PAGE_CHECK], env).stdout)
    assert page["hello_status"] == 404
    assert not page["nav_has_hello"] and not page["home_box"]
