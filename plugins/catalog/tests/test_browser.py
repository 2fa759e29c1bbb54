"""A student finds a course in headless Chromium, enrols and sees it on the dashboard."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, client, app) -> None:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_student_searches_enrols_and_continues(
    page,
    live_server,
    app,
    make_client,
    login_as,
    student,
    create_user,
    create_course,
    create_category,
):
    science = create_category("Science")
    teacher = create_user(role="instructor", name="Rosalind Franklin")
    create_course(teacher, "Molecules Up Close", category_id=science.id,
                description_md="See how **crystals** reveal molecules.")  # fmt: skip
    create_course(teacher, "Poetry Workshop", language="fr")
    client = login_as(make_client(), student)
    client.get("/courses")  # the session cookie exists once a page was served
    _sign_in(page, live_server, client, app)

    page.goto("/courses")
    page.get_by_label("Search").fill("crystals")
    page.get_by_label("Category").select_option("science")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("1 course for").wait_for()
    assert page.get_by_role("link", name="Poetry Workshop").count() == 0
    page.get_by_role("link", name="Molecules Up Close").first.click()
    page.get_by_role("heading", name="Molecules Up Close").wait_for()
    assert "Rosalind Franklin" in page.content()
    page.get_by_role("button", name="Enrol for free").click()
    page.get_by_text("You are enrolled in Molecules Up Close").wait_for()
    page.get_by_role("link", name="Start learning").wait_for()

    page.goto("/my/courses")
    page.get_by_role("heading", name="Molecules Up Close").wait_for()
    bar = page.get_by_role("progressbar")
    assert bar.get_attribute("value") == "0"


# Elements sticking out of the viewport, ignoring 1-pixel ones (visually hidden text)
# and the core's skip link, parked off screen until it gets focus.
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *:not(.skip-link)')]
    .filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width > 1 && box.height > 1 && (box.right > width + 1 || box.left < -1);
    })
    .map((el) => `${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
}"""


def test_arabic_pages_fit_a_phone_right_to_left(
    page, live_server, app, make_client, login_as, admin, create_user, create_course,
    create_category,
):  # fmt: skip
    arts = create_category("Arts and Crafts of the Mediterranean")
    teacher = create_user(role="instructor", name="Rosalind Franklin")
    course = create_course(
        teacher,
        "An Unusually Long English Course Title About Watercolour Landscapes",
        subtitle="Pigments, paper and patience",
        category_id=arts.id,
        price_cents=4900,
    )
    create_course(teacher, "Pending Pottery", status="pending")
    client = login_as(make_client(), admin)
    client.get("/courses")
    _sign_in(page, live_server, client, app)
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_extra_http_headers({"Accept-Language": "ar"})
    for path in ["/courses", f"/courses/{course.slug}", "/admin/catalog/moderation",
                 "/admin/catalog/courses", "/admin/catalog/categories"]:  # fmt: skip
        page.goto(path)
        assert page.locator("html").get_attribute("dir") == "rtl", path
        assert page.evaluate(_OVERFLOWING) == [], path
