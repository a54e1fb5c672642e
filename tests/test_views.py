"""HTTP pages: security headers, the QR code, the proxy setting."""

from intervisie.app import create_app
from intervisie.db import db


def test_pages_forbid_third_parties_and_framing(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_session_page_is_404_in_the_visitors_language(client):
    page = client.get("/s/ZZZZZZ")
    assert page.status_code == 404 and "Deze sessie bestaat niet" in page.get_data(as_text=True)
    english = client.get("/s/ZZZZZZ", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "This session does not exist" in english.get_data(as_text=True)
    assert client.get("/s/ZZZZZZ/qr.svg").status_code == 404


def test_qr_code_is_drawn_locally(client):
    code = client.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien"}).get_json()["code"]
    response = client.get(f"/s/{code}/qr.svg")
    assert response.mimetype == "image/svg+xml" and b"<svg" in response.data


def test_behind_a_proxy_links_carry_the_public_address(app):
    db.engine.dispose()  # the second app takes over the database handle
    proxied = create_app({**app.config, "BEHIND_PROXY": True, "AUTO_MIGRATE": False, "PURGE_ON_START": False})
    created = proxied.test_client().post(
        "/api/sessions",
        json={"method_id": "vijf-fasen", "name": "Fien"},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "intervisie.example.org"},
    )
    assert created.get_json()["join_url"].startswith("https://intervisie.example.org/s/")


def test_health(client):
    assert client.get("/healthz").get_json()["ok"] is True
