"""Every form endpoint of every installed plugin refuses a POST without its CSRF token."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, inspect, select, table
from werkzeug.routing import IntegerConverter

from lms.extensions import db


def form_urls(app: Flask) -> list[str]:
    """A concrete URL for every non-API rule that accepts POST (ids set to 1)."""
    adapter = app.url_map.bind("localhost")
    urls = set()
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.rule.startswith("/api/"):
            continue
        values = {
            arg: 1 if isinstance(conv, IntegerConverter) else "x"
            for arg, conv in rule._converters.items()
        }
        urls.add(adapter.build(rule.endpoint, values, method="POST"))
    return sorted(urls)


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        return {n: db.session.scalar(select(func.count()).select_from(table(n))) for n in names}


def test_posts_without_csrf_token_are_refused_and_change_nothing(
    app, client, create_user, login_as
):
    admin = create_user(role="admin")
    login_as(client, admin)
    urls = form_urls(app)
    # The core's forms at least, and every plugin's that is installed.
    assert "/setup" in urls and len(urls) > 5, urls
    before = row_counts(app)
    refused = {
        url: client.post(url, data={"title": "x", "email": "a@b.c"}).status_code for url in urls
    }
    assert {url: code for url, code in refused.items() if code != 400} == {}
    assert row_counts(app) == before
