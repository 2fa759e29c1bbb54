"""Links in mails come from SITE_URL; a forged Host header gets nowhere (issue 14, acceptance 2)."""

from __future__ import annotations

from lms.testing.servers import link_in


def test_reset_requested_for_a_foreign_host_is_refused_and_mails_nothing(
    client, create_user, worker
):
    create_user(email="kai@example.org")
    evil = {"Host": "evil.example"}
    r = client.post("/api/v1/auth/password/forgot", json={"email": "kai@example.org"}, headers=evil)
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    r = client.get("/auth/password/forgot", headers=evil)
    assert r.status_code == 400
    r = client.post("/auth/password/forgot", data={"email": "kai@example.org"}, headers=evil)
    assert r.status_code == 400
    assert worker.run() == 0  # no mail job was queued


def test_mailed_links_point_at_site_url_not_at_the_request(client, create_user, mail, config):
    # The request comes in through the machine's own address (a trusted host);
    # the links still name the site's public address.
    config(SITE_URL="https://learn.school.example/lms")
    create_user(email="kai@example.org")
    r = client.post(
        "/api/v1/auth/password/forgot",
        json={"email": "kai@example.org"},
        headers={"Host": "127.0.0.1:5000"},
    )
    assert r.status_code == 202
    (message,) = mail("kai@example.org")
    link = link_in(message, "/auth/password/reset/")
    assert link.startswith("https://learn.school.example/lms/auth/password/reset/")
    assert "127.0.0.1" not in message.as_string()
