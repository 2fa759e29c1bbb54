def test_home_redirects_to_setup(client):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/setup")


def test_setup_creates_admin(client, worker):
    r = client.submit(
        "/setup",
        {
            "site_name": "Hill School",
            "email": "a@example.org",
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert r.status_code == 302, r.data
    assert client.get("/setup").status_code == 404
    assert "Hill School" in client.get("/").get_data(as_text=True)
