"""Absolute URLs in API answers come from SITE_URL, not from the request's Host."""

from __future__ import annotations


def test_course_url_in_the_api_names_the_site(client, instructor, create_course, app):
    course = create_course(instructor, title="Site Links")
    saved = app.config["SITE_URL"]
    app.config["SITE_URL"] = "https://learn.school.example"
    try:
        r = client.get(f"/api/v1/courses/{course.slug}", headers={"Host": "127.0.0.1:8080"})
    finally:
        app.config["SITE_URL"] = saved
    assert r.status_code == 200, r.json
    assert r.json["url"] == f"https://learn.school.example/courses/{course.slug}"
