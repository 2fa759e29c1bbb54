"""Form fields carry ARIA attributes only when they have a value."""

from __future__ import annotations

import re

EMPTY_ARIA = re.compile(r'aria-[a-z]+="(None|False)"')


def test_fields_without_errors_have_no_aria_invalid_or_empty_describedby(client, create_user):
    create_user(role="admin")  # past the set-up page, so the sign-in and register forms show
    for url in ("/auth/register", "/auth/login"):
        page = client.get(url).get_data(as_text=True)
        assert "<input" in page
        assert not EMPTY_ARIA.search(page), url
        assert "aria-invalid" not in page, url


def test_a_field_with_an_error_is_marked_invalid_and_points_at_its_message(client, create_user):
    create_user(role="admin")
    page = client.get("/auth/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/auth/register", data={"csrf_token": token, "email": "not-an-email"})
    page = response.get_data(as_text=True)
    email_input = re.search(r'<input[^>]*name="email"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in email_input
    assert 'aria-describedby="email-error"' in email_input
    assert 'id="email-error"' in page
    assert not EMPTY_ARIA.search(page)
