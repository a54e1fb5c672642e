"""The group's confidentiality agreement: confirmed on joining, in the record, and the case bringer's
consent before anyone downloads the record (docs/protocol.md, ``agree`` and ``record:consent``)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Person


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Circle:
    """A session created with the agreement on: Fien facilitates, Ayla brings the case, Bram joins."""

    def __init__(self, app, client):
        created = client.post(
            "/api/sessions",
            json={
                "method_id": "vijf-fasen",
                "name": "Fien",
                "confidentiality": True,
                "auto_start_timer": False,
            },
        ).get_json()
        assert created["ok"], created
        self.app, self.code = app, created["code"]
        self.facilitator = Person(app, "Fien")
        self.facilitator.token = created["token"]
        self.facilitator.ok("session:resume", token=created["token"])
        self.case_bringer, self.participant = self.join("Ayla"), self.join("Bram")
        self.facilitator.ok("role:assign", participant_id=self.case_bringer.id, role="case_bringer")
        self.facilitator.ok("session:start")

    def join(self, name: str, **extra) -> Person:
        person = Person(self.app, name)
        ack = person.ok("session:join", code=self.code, name=name, agree=True, **extra)
        person.token, person.id, person.snapshot = ack["token"], ack["snapshot"]["me"]["id"], ack["snapshot"]
        return person


@pytest.fixture
def circle(app, client):
    return Circle(app, client)


@pytest.mark.parametrize("agree", [None, False, "true", 1, [], {}])
def test_joining_without_agreeing_is_refused_in_the_persons_language(circle, agree):
    person = Person(circle.app, "Chen")
    payload = {"code": circle.code, "name": "Chen", "lang": "en"}
    if agree is not None:
        payload["agree"] = agree
    ack = person.emit("session:join", payload)
    assert ack["ok"] is False and ack["error"] == "agreement_needed"
    assert "confidentiality agreement" in ack["message"]
    assert "Chen" not in [
        p["name"]
        for p in circle.facilitator.ok("session:resume", token=circle.facilitator.token)["snapshot"][
            "participants"
        ]
    ]


def test_everyone_in_the_session_agreed_and_the_state_says_so(circle):
    state = circle.participant.snapshot
    assert state["session"]["confidentiality"] is True
    assert state["session"]["record_consent"] is False
    everyone = circle.facilitator.ok("session:resume", token=circle.facilitator.token)["snapshot"][
        "participants"
    ]
    assert [p["agreed"] for p in everyone] == [True, True, True]  # the facilitator agreed by creating it
    assert circle.participant.add("checkin", "Moe maar blij.")["ok"]


def test_a_session_without_the_agreement_asks_nothing(group):
    assert group.participants[0].snapshot["session"]["confidentiality"] is False
    assert all(p["agreed"] is False for p in group.participants[0].snapshot["participants"])


def test_only_the_case_bringer_gives_consent_and_everyone_hears_it(circle):
    for person in (circle.facilitator, circle.participant):
        ack = person.emit("record:consent", given=True)
        assert ack["ok"] is False and ack["error"] == "case_bringer_only"
    for bad in (None, "yes", 1):
        assert circle.case_bringer.emit("record:consent", given=bad)["error"] == "bad_request"
    circle.facilitator.io.get_received()
    assert circle.case_bringer.ok("record:consent", given=True)["given"] is True
    states = circle.facilitator.received("session:state")
    assert states[-1]["args"][0]["session"]["record_consent"] is True


def test_the_record_waits_for_the_case_bringers_consent(circle, client):
    url = f"/api/sessions/{circle.code}/record.json"
    refused = client.get(url + "?lang=en", headers=bearer(circle.facilitator.token))
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "consent_needed"
    assert "case bringer" in refused.get_json()["message"]
    circle.case_bringer.ok("record:consent", given=True)
    record = json.loads(client.get(url, headers=bearer(circle.facilitator.token)).data)
    agreement = record["session"]["agreement"]
    assert agreement["confirmed"] == 3 and agreement["last_at"] and agreement["consent_at"]
    assert "names" not in agreement
    named = client.get(url + "?names=true", headers=bearer(circle.facilitator.token)).get_json()
    assert named["session"]["agreement"]["names"] == ["Fien", "Ayla", "Bram"]
    markdown = client.get(f"/api/sessions/{circle.code}/record.md", headers=bearer(circle.facilitator.token))
    assert "afspraak bevestigd door 3 personen bij het meedoen" in markdown.get_data(as_text=True)
    circle.case_bringer.ok("record:consent", given=False)  # withdrawn: refused again
    assert client.get(url, headers=bearer(circle.facilitator.token)).status_code == 403


def test_a_new_case_bringer_is_asked_again(circle, client):
    circle.case_bringer.ok("record:consent", given=True)
    circle.facilitator.ok("role:assign", participant_id=circle.participant.id, role="case_bringer")
    refused = client.get(f"/api/sessions/{circle.code}/record.md", headers=bearer(circle.facilitator.token))
    assert refused.get_json()["error"] == "consent_needed"


def test_a_follow_up_waits_for_the_consent_too(circle, client):
    follow = {
        "method_id": "vijf-fasen",
        "name": "Fien",
        "follow_up": {"code": circle.code, "token": circle.facilitator.token},
    }
    refused = client.post("/api/sessions", json=follow).get_json()
    assert refused["ok"] is False and refused["error"] == "consent_needed"
    circle.case_bringer.ok("record:consent", given=True)
    assert client.post("/api/sessions", json=follow).get_json()["ok"]


@pytest.mark.parametrize("value", ["yes", 1, None, []])
def test_creating_with_a_malformed_agreement_is_refused(client, value):
    answer = client.post(
        "/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", "confidentiality": value}
    )
    assert answer.get_json()["error"] == "bad_request"
