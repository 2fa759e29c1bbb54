"""Acceptance 1 in a real browser: register, verify, sign out, sign in, reset the password."""

from __future__ import annotations

import pytest

from lms.testing.servers import link_in, path_of

pytestmark = pytest.mark.browser

EMAIL = "noor@example.org"
PASSWORD = "violet-lantern-harbour-42"
NEW_PASSWORD = "copper-meadow-falcon-77"


def sign_in(page, password):
    page.goto("/auth/login")
    page.get_by_label("E-mail or username").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/auth/login")


def test_account_lifecycle_in_the_browser(page, smtp_server, worker):
    # Register.
    page.goto("/auth/register")
    page.get_by_label("E-mail", exact=True).fill(EMAIL)
    page.get_by_label("Username").fill("noor")
    page.get_by_label("Your name").fill("Noor Haddad")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()

    # Verify from the mailed link: confirmed and signed in, no banner.
    worker.run()
    (message,) = smtp_server.wait_for(EMAIL)
    # The mail links to SITE_URL (the test client's host); the browser uses the live server.
    page.goto(path_of(link_in(message, "/auth/verify/")))
    page.get_by_text("your e-mail address is confirmed").wait_for()
    assert page.get_by_test_id("unverified-banner").count() == 0
    page.get_by_role("link", name="Profile").click()
    page.get_by_text("(confirmed)").wait_for()

    # Sign out, sign in.
    sign_out(page)
    sign_in(page, PASSWORD)
    page.get_by_text("Welcome back, Noor Haddad.").wait_for()
    sign_out(page)

    # Forgot the password: a mailed link, used once.
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If an account uses that address").wait_for()
    worker.run()
    reset_mail = smtp_server.wait_for(EMAIL, count=2)[-1]
    reset_url = path_of(link_in(reset_mail, "/auth/password/reset/"))
    page.goto(reset_url)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    page.get_by_text("Your password is changed").wait_for()

    # The old password stops working; the new one works; the link is spent.
    sign_in(page, PASSWORD)
    page.get_by_text("is not right").wait_for()
    sign_in(page, NEW_PASSWORD)
    page.get_by_text("Welcome back, Noor Haddad.").wait_for()
    page.goto(reset_url)
    page.get_by_role("heading", name="This link does not work").wait_for()
