"""The join page says which session it is (title, facilitator, method) and nothing more."""

from __future__ import annotations

import json
import re

from tests.conftest import Group


def about_on_page(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="about">(.*?)</script>', html, re.S)
    assert found, "the join page names its session"
    return json.loads(found[1])


def test_the_join_page_names_the_session_and_keeps_the_rest_to_itself(app, client):
    group = Group(app, client, participants=1, title="Team Oost")
    group.start()
    group.facilitator.ok("step:go", to=1)
    case = "Een collega komt steeds te laat op de overdracht."
    assert group.case_bringer.add("case", case)["ok"]
    html = client.get(f"/s/{group.code}").get_data(as_text=True)
    about = about_on_page(html)
    assert about == {
        "title": "Team Oost",
        "facilitator": "Fien",
        "method": {"nl": "Online intervisie in vijf fasen", "en": "Five-phase online intervision"},
        "confidentiality": False,
    }
    for secret in (case, "Ayla", "Bram", group.created["token"], group.created["facilitator_key"]):
        assert secret not in html


def test_only_the_participant_page_carries_it(app, client):
    group = Group(app, client, participants=1, title="Team Oost")
    for view in ("facilitator", "screen"):
        assert 'id="about"' not in client.get(f"/s/{group.code}/{view}").get_data(as_text=True)
    assert client.get("/s/ZZZZZZ").status_code == 404
