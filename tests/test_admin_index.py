"""Admins find every admin page from the nav in two clicks, with what waits there."""

from __future__ import annotations

import re


def _nav_links(html: str) -> list[str]:
    nav = html.split('<nav class="topbar"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="([^"]+)"', nav)


def test_admin_reaches_every_admin_page_in_two_clicks_with_pending_counts(
    app, make_client, login_as, create_user
):
    admin = create_user(role="admin")
    teacher = create_user(role="instructor")
    applicant = create_user(role="student")
    # Something waits: one course for review, one instructor application.
    instructor_client = login_as(make_client(), teacher)
    course = instructor_client.api(
        "POST", "/api/v1/courses", json={"title": "Waiting Course", "description_md": "x"}
    ).json
    assert (
        instructor_client.api("POST", f"/api/v1/courses/{course['slug']}/submit").status_code == 200
    )
    student_client = login_as(make_client(), applicant)
    student_client.submit("/auth/instructor", {"bio": "I taught maths for ten years."})

    client = login_as(make_client(), admin)
    home = client.get("/").get_data(as_text=True)
    assert "/admin" in _nav_links(home)  # click 1
    index = client.get("/admin")
    assert index.status_code == 200
    page = index.get_data(as_text=True)
    expected = {
        "/admin/catalog/moderation",
        "/admin/catalog/courses",
        "/admin/catalog/categories",
        "/auth/admin/applications",
        "/auth/admin/login-attempts",
    }
    links = set(re.findall(r'href="([^"]+)"', page))
    assert expected <= links  # click 2 reaches each
    for url in expected:
        assert client.get(url).status_code == 200, url
    # Pending counts: a course to review and an application to decide.
    moderation = page.split('href="/admin/catalog/moderation"', 1)[1].split("</li>", 1)[0]
    applications = page.split('href="/auth/admin/applications"', 1)[1].split("</li>", 1)[0]
    assert "1 waiting" in moderation and "1 waiting" in applications


def test_people_without_admin_pages_see_no_admin_entry(make_client, login_as, create_user):
    student = login_as(make_client(), create_user(role="student"))
    assert "/admin" not in _nav_links(student.get("/").get_data(as_text=True))
    assert student.get("/admin").status_code == 403
    assert make_client().get("/admin").status_code in (302, 401)
