"""The case round: pitches, one hidden vote each or the facilitator's choice, the chosen case bringer."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from intervisie.i18n import translate
from intervisie.methods import MethodError, method_to_document, parse_method
from intervisie.session import PITCH_MAX_LENGTH, vote_winner
from intervisie.tailoring import explain

from .conftest import Group
from .test_methods_library import expire_timer

PITCHES = {
    "Ayla": "Een ouder die elke week boos belt over het rooster.",
    "Bram": "Een collega die mijn planning steeds omgooit.",
    "Chen": "Een leerling die niet meer naar de les komt.",
}


@pytest.fixture
def pitched(app, client):
    """The incident method started without a case bringer, three cases pitched, in the choosing step."""
    group = Group(app, client, participants=3, method_id="incident")
    group.facilitator.ok("session:start")
    group.go(1)
    group.pitches = {}
    for person in group.people[:3]:
        group.pitches[person.name] = person.add("case_proposal", PITCHES[person.name])["contribution"]["id"]
    group.go(2)
    group.drain()
    return group


def round_of(ack: dict) -> dict:
    return ack["state"]["case_round"]


def test_a_session_with_a_case_round_starts_without_a_case_bringer_but_does_not_pass_it(app, client):
    group = Group(app, client, participants=3, method_id="incident")
    state = group.facilitator.ok("session:start")["state"]
    assert state["case_round"] == {"vote": "hidden", "voted": 0, "voters": 5, "chosen": None, "tally": None}
    refused = group.facilitator.emit("step:go", to=3, confirm=True)
    assert refused["error"] == "needs_case_bringer"
    assert refused["message"] == translate("nl", "error.needs_case_bringer")
    assert group.go(2)["session"]["step_index"] == 2  # up to the round itself


def test_a_method_without_a_case_round_still_needs_a_case_bringer_to_start(group):
    assert group.facilitator.emit("session:start")["error"] == "needs_case_bringer"


def test_a_pitch_is_one_to_three_sentences_and_one_each(app, client):
    group = Group(app, client, participants=3, method_id="incident")
    group.facilitator.ok("session:start")
    group.go(1)
    ayla, bram = group.people[0], group.people[1]
    bram.ok("language:set", lang="en")
    too_long = ayla.add("case_proposal", "x" * (PITCH_MAX_LENGTH + 1))
    assert too_long["error"] == "pitch_too_long"
    assert too_long["message"] == translate("nl", "error.pitch_too_long", max=PITCH_MAX_LENGTH)
    assert str(PITCH_MAX_LENGTH) in too_long["message"]
    english = bram.add("case_proposal", "y" * (PITCH_MAX_LENGTH + 1))
    assert english["message"] == translate("en", "error.pitch_too_long", max=PITCH_MAX_LENGTH)
    assert ayla.add("case_proposal", "x" * PITCH_MAX_LENGTH)["ok"]
    assert ayla.add("case_proposal", "Nog een.")["error"] == "limit_reached"


def test_a_pitch_may_be_prepared_before_the_start_and_counts_in_the_pitch_step(app, client):
    """Via the join link, before the facilitator starts: filed in the pitching step, one each still."""
    group = Group(app, client, participants=3, method_id="incident")
    ayla, bram = group.people[0], group.people[1]
    early = ayla.add("case_proposal", PITCHES["Ayla"])["contribution"]
    assert early["step_index"] == 1 and early["kind"] == "case_proposal"
    assert ayla.add("case_proposal", "Nog een.")["error"] == "limit_reached"
    assert bram.add("question", "Wat wil je?")["error"] == "not_started"  # only pitches, only now
    assert bram.add("question", "Wat wil je?", step_index=1)["error"] == "not_started"  # nothing moved yet
    group.facilitator.ok("session:start")
    # Started, not yet at the pitching step: a pitch written for it (offline, on its way) is filed there.
    assert ayla.add("case_proposal", "Toch een andere.", step_index=1)["error"] == "limit_reached"
    assert bram.add("case_proposal", PITCHES["Bram"])["error"] == "wrong_step"  # not written for it
    late = bram.add("case_proposal", PITCHES["Bram"], step_index=1)["contribution"]
    assert late["step_index"] == 1
    assert bram.add("review", "Mijn actie is gelukt.")["ok"]  # the current step goes on as usual
    group.go(1)
    assert ayla.add("case_proposal", "Toch een andere.")["error"] == "limit_reached"
    assert bram.add("case_proposal", "Nog een.")["error"] == "limit_reached"
    group.go(2)
    assert bram.add("case_proposal", "Te laat.")["error"] == "wrong_step"  # after its step: no more
    assert bram.ok("case:vote", id=early["id"])["my_vote"] == early["id"]


def test_a_method_without_a_case_round_takes_no_pitch_before_the_start(group):
    assert group.participants[0].add("case_proposal", "Een casus.")["error"] == "not_started"


def test_votes_stay_hidden_until_all_voted_and_each_may_change_theirs(pitched):
    f, (ayla, bram, chen, daan) = pitched.facilitator, pitched.people
    ack = ayla.ok("case:vote", id=pitched.pitches["Bram"])
    assert ack["my_vote"] == pitched.pitches["Bram"]
    assert round_of(ack) == {"vote": "hidden", "voted": 1, "voters": 5, "chosen": None, "tally": None}
    moved = ayla.ok("case:vote", id=pitched.pitches["Chen"])  # a changed vote is still one vote
    assert moved["my_vote"] == pitched.pitches["Chen"] and round_of(moved)["voted"] == 1
    bram.ok("case:vote", id=pitched.pitches["Chen"])
    # Nobody, the facilitator included, learns who voted what or how the votes stand.
    for person in (f, chen, daan):
        for message in person.received("session:state"):
            assert message["args"][0]["case_round"]["tally"] is None
        snap = person.reconnect()["snapshot"]
        assert snap["my_vote"] is None
        assert snap["case_round"]["voted"] == 2 and snap["case_round"]["tally"] is None
        assert all(c["marks"] == [] for c in snap["contributions"])
    assert ayla.reconnect()["snapshot"]["my_vote"] == pitched.pitches["Chen"]


def test_the_last_vote_chooses_the_case_and_its_author_becomes_case_bringer(pitched):
    f, (ayla, bram, chen, daan) = pitched.facilitator, pitched.people
    for person, pick in ((f, "Chen"), (ayla, "Chen"), (bram, "Chen"), (chen, "Ayla")):
        assert person.ok("case:vote", id=pitched.pitches[pick])["state"]["case_round"]["chosen"] is None
    pitched.drain()
    last = daan.ok("case:vote", id=pitched.pitches["Bram"])["state"]
    chosen = pitched.pitches["Chen"]
    assert last["case_round"]["chosen"] == chosen
    assert last["case_round"]["tally"] == {chosen: 3, pitched.pitches["Ayla"]: 1, pitched.pitches["Bram"]: 1}
    assert {p["name"]: p["role"] for p in last["participants"]}["Chen"] == "case_bringer"
    # The pitch is the case's opening text, in the step where the case is told, by its author.
    case = next(m["args"][0] for m in ayla.received("contribution:new"))
    assert case["kind"] == "case" and case["text"] == PITCHES["Chen"]
    assert case["author_id"] == chen.id and case["step_index"] == 3
    # The round is closed; the case bringer's rules follow the new case bringer.
    refused = ayla.emit("case:vote", id=pitched.pitches["Ayla"])
    assert refused["error"] == "case_chosen" and refused["message"] == translate("nl", "error.case_chosen")
    assert f.emit("case:choose", id=pitched.pitches["Ayla"])["error"] == "case_chosen"
    assert pitched.go(3)["session"]["step_index"] == 3
    assert ayla.add("case", "Ik vertel het wel.")["error"] == "forbidden_role"
    assert chen.add("case", "Het begon op een maandag.")["ok"]


def test_a_tie_shows_the_votes_and_the_facilitator_chooses(pitched):
    f, (ayla, bram, chen, daan) = pitched.facilitator, pitched.people
    votes = ((f, "Ayla"), (ayla, "Bram"), (bram, "Ayla"), (chen, "Bram"), (daan, "Chen"))
    for person, pick in votes:
        state = person.ok("case:vote", id=pitched.pitches[pick])["state"]
    assert state["case_round"]["chosen"] is None
    assert state["case_round"]["tally"] == {
        pitched.pitches["Ayla"]: 2,
        pitched.pitches["Bram"]: 2,
        pitched.pitches["Chen"]: 1,
    }
    refused = ayla.emit("case:choose", id=pitched.pitches["Ayla"])
    assert refused["error"] == "forbidden_role"
    assert refused["message"] == translate("nl", "error.forbidden_role")
    # The tally is out: nobody breaks the tie by moving their vote now.
    moved = daan.emit("case:vote", id=pitched.pitches["Bram"])
    assert moved["error"] == "votes_final"
    assert moved["message"] == translate("nl", "error.votes_final")
    assert daan.emit("case:vote", id=pitched.pitches["Chen"])["error"] == "votes_final"
    state = f.ok("case:choose", id=pitched.pitches["Bram"])["state"]
    assert state["case_round"]["chosen"] == pitched.pitches["Bram"]
    assert {p["name"]: p["role"] for p in state["participants"]}["Bram"] == "case_bringer"


def test_the_facilitator_may_close_the_vote_while_someone_is_away(pitched):
    f, ayla = pitched.facilitator, pitched.people[0]
    ayla.ok("case:vote", id=pitched.pitches["Bram"])
    state = f.ok("case:choose", id=pitched.pitches["Ayla"])["state"]
    assert {p["name"]: p["role"] for p in state["participants"]}["Ayla"] == "case_bringer"


def test_a_chosen_case_bringer_replaces_one_picked_by_hand(pitched):
    f, ayla = pitched.facilitator, pitched.people[0]
    f.ok("role:assign", participant_id=ayla.id, role="case_bringer")
    roles = {
        p["name"]: p["role"] for p in f.ok("case:choose", id=pitched.pitches["Bram"])["state"]["participants"]
    }
    assert roles["Bram"] == "case_bringer" and roles["Ayla"] == "participant"


def test_the_facilitators_own_pitch_waits_for_a_hand_over(app, client):
    group = Group(app, client, participants=1, method_id="incident")
    f, (ayla, bram) = group.facilitator, group.people
    f.ok("session:start")
    group.go(1)
    mine = f.add("case_proposal", "Mijn eigen casus.")["contribution"]["id"]
    group.go(2)
    for person in (f, ayla, bram):
        state = person.ok("case:vote", id=mine)["state"]
    assert state["case_round"]["chosen"] is None and state["case_round"]["tally"] == {mine: 3}
    refused = f.emit("case:choose", id=mine)
    assert refused["error"] == "author_facilitates"
    assert refused["message"] == translate("nl", "error.author_facilitates")


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({}, "bad_request"),
        ({"id": None}, "bad_request"),
        ({"id": 7}, "bad_request"),
        ({"id": ["x"]}, "bad_request"),
        ({"id": "nope"}, "unknown_contribution"),
    ],
)
def test_a_vote_for_nothing_is_refused_and_changes_nothing(pitched, payload, error):
    ayla = pitched.people[0]
    for event in ("case:vote", "case:choose"):
        person = ayla if event == "case:vote" else pitched.facilitator
        refused = person.emit(event, payload)
        assert refused["error"] == error and refused["message"] == translate("nl", f"error.{error}")
    assert ayla.reconnect()["snapshot"]["case_round"]["voted"] == 0


def test_a_vote_must_be_for_a_pitch_in_the_round_in_the_users_language(pitched):
    f, ayla = pitched.facilitator, pitched.people[0]
    ayla.ok("language:set", lang="en")
    f.ok("role:assign", participant_id=pitched.people[1].id, role="case_bringer")
    pitched.go(3)
    told = pitched.people[1].add("case", "Het begon zo.")["contribution"]["id"]
    pitched.go(2)
    refused = ayla.emit("case:vote", id=told)
    assert refused["error"] == "not_a_pitch"
    assert refused["message"] == translate("en", "error.not_a_pitch")
    pitched.go(4)
    wrong = ayla.emit("case:vote", id=pitched.pitches["Bram"])
    assert wrong["error"] == "wrong_step" and wrong["message"] == translate("en", "error.wrong_step")
    assert f.emit("case:choose", id=pitched.pitches["Bram"])["error"] == "wrong_step"


def test_no_vote_before_the_session_starts(app, client):
    group = Group(app, client, participants=3, method_id="incident")
    refused = group.people[0].emit("case:vote", id="x" * 32)
    assert refused["error"] == "not_started"


def test_votes_are_no_marks_in_a_case_round(pitched):
    refused = pitched.people[0].emit("contribution:mark", id=pitched.pitches["Bram"], value="vote")
    assert refused["error"] == "wrong_step"


# --- the facilitator decides -------------------------------------------------------------


def facilitator_round(app) -> dict:
    """The incident method as a group's own file whose case round the facilitator decides."""
    document = method_to_document(app.extensions["intervisie_methods"]["incident"])
    document["id"] = "incident-begeleider"
    choosing = document["steps"][2]
    choosing["rules"] = [{"type": "case_round", "vote": "facilitator"}]
    return {"name": "incident-begeleider.yaml", "text": yaml.safe_dump(document, allow_unicode=True)}


def test_when_the_facilitator_decides_nobody_votes(app, client):
    group = Group(app, client, participants=3, method_file=facilitator_round(app))
    f, (ayla, bram, *_) = group.facilitator, group.people
    f.ok("session:start")
    group.go(1)
    pitch = bram.add("case_proposal", "Een team dat niet samenwerkt.")["contribution"]["id"]
    state = group.go(2)
    assert state["case_round"]["vote"] == "facilitator"
    bram.ok("language:set", lang="en")
    refused = bram.emit("case:vote", id=pitch)
    assert refused["error"] == "facilitator_decides"
    assert refused["message"] == translate("en", "error.facilitator_decides")
    assert ayla.emit("case:choose", id=pitch)["error"] == "forbidden_role"
    state = f.ok("case:choose", id=pitch)["state"]
    assert state["case_round"]["chosen"] == pitch
    assert {p["name"]: p["role"] for p in state["participants"]}["Bram"] == "case_bringer"


# --- the method format ---------------------------------------------------------------------


def broken(app, change) -> MethodError:
    document = method_to_document(app.extensions["intervisie_methods"]["incident"])
    change(document)
    with pytest.raises(MethodError) as caught:
        parse_method(document, "mine.yaml")
    return caught.value


def test_the_format_checks_a_case_round(app):
    def bad_vote(d):
        d["steps"][2]["rules"] = [{"type": "case_round", "vote": "loudest"}]

    def no_pitches(d):
        d["steps"][1]["contribute"] = [{"kind": "review", "roles": ["participant"]}]
        d["steps"][1]["rules"] = []

    def also_marks(d):
        d["steps"][2]["rules"].append(
            {"type": "marks", "kind": "case_proposal", "values": ["vote"], "by": ["participant"]}
        )

    error = broken(app, bad_vote)
    assert (error.where, error.problem) == ("steps[2].rules[0].vote", "must be one of: hidden, facilitator")
    error = broken(app, no_pitches)
    assert error.where == "steps[2].rules[0]"
    assert explain("nl", error).endswith(translate("nl", "method_problem.case_round_pitches"))
    error = broken(app, also_marks)
    assert error.where == "steps[2].rules"
    assert explain("nl", error).endswith(translate("nl", "method_problem.case_round_marks"))


def test_a_case_round_goes_back_and_forth_through_the_file_format(app):
    incident = app.extensions["intervisie_methods"]["incident"]
    again = parse_method(method_to_document(incident), "again.yaml")
    assert again.steps[2].rule("case_round").vote == "hidden"


# --- a case round added when creating a session ---------------------------------------------


def test_a_case_round_can_be_added_to_any_method_after_its_check_in(app, client):
    group = Group(app, client, participants=2, method_id="vijf-fasen", case_round="hidden")
    f, chen = group.facilitator, group.people[2]
    steps = f.snapshot["method"]["steps"]
    assert [s["id"] for s in steps[:4]] == ["check-in", "casusronde-pitches", "casusronde", "casus"]
    assert steps[1]["names"]["nl"] == translate("nl", "method.case_round.pitch.names")
    assert steps[2]["names"]["en"] == translate("en", "method.case_round.choose.names")
    assert steps[2]["rules"] == [{"type": "case_round", "vote": "hidden"}]
    f.ok("session:start")
    group.go(1)
    pitch = chen.add("case_proposal", "Een klas die niet luistert.")["contribution"]["id"]
    assert chen.add("case_proposal", "Nog een.")["error"] == "limit_reached"
    group.go(2)
    for person in group.everyone:
        state = person.ok("case:vote", id=pitch)["state"]
    assert {p["name"]: p["role"] for p in state["participants"]}["Chen"] == "case_bringer"
    case = chen.reconnect()["snapshot"]["contributions"][-1]
    assert (case["kind"], case["text"], case["step_index"]) == ("case", "Een klas die niet luistert.", 3)


def test_a_facilitator_round_can_be_added_too(app, client):
    group = Group(app, client, participants=2, method_id="vijf-fasen", case_round="facilitator")
    assert group.facilitator.snapshot["method"]["steps"][2]["rules"] == [
        {"type": "case_round", "vote": "facilitator"}
    ]


@pytest.mark.parametrize(
    ("method_id", "case_round", "error"),
    [
        ("incident", "hidden", "case_round_unavailable"),
        ("vijf-fasen", "loudest", "bad_request"),
        ("vijf-fasen", True, "bad_request"),
    ],
)
def test_a_case_round_that_cannot_be_added_is_refused(client, method_id, case_round, error):
    for lang in ("nl", "en"):
        answer = client.post(
            "/api/sessions",
            json={"method_id": method_id, "name": "Fien", "case_round": case_round, "lang": lang},
        ).get_json()
        assert answer["ok"] is False and answer["error"] == error
        assert answer["message"] == translate(lang, f"error.{error}")


# --- the review of last time's actions ------------------------------------------------------


def test_a_follow_up_opens_with_last_times_actions_then_its_case_round(app, client, group):
    group.start()
    group.go(6)  # takeaways and actions
    group.case_bringer.ok("contribution:add", client_id="a" * 16, kind="action", text="Elke vrijdag plannen.")
    group.facilitator.ok("session:end")
    follow_up = {"code": group.code, "token": group.facilitator.token}
    later = Group(app, client, participants=2, follow_up=follow_up, review_step=True, case_round="hidden")
    f, (ayla, bram, _) = later.facilitator, later.people
    snap = f.snapshot
    assert [s["id"] for s in snap["method"]["steps"][:4]] == [
        "check-in",
        "terugblik-acties",
        "casusronde-pitches",
        "casusronde",
    ]
    assert snap["carried_actions"] == [{"text": "Elke vrijdag plannen."}]
    assert snap["method"]["steps"][1]["contribute"] == {
        "review": ["facilitator", "case_bringer", "participant"]
    }
    f.ok("session:start")
    later.go(1)
    assert ayla.add("review", "Gedaan: het scheelde veel gedoe.")["ok"]
    assert bram.add("question", "Hoe ging het?")["error"] == "wrong_step"


def test_a_review_step_is_refused_where_the_method_has_one(client):
    for lang in ("nl", "en"):
        answer = client.post(
            "/api/sessions", json={"method_id": "incident", "name": "Fien", "review_step": True, "lang": lang}
        ).get_json()
        assert answer["error"] == "review_unavailable"
        assert answer["message"] == translate(lang, "error.review_unavailable")
    answer = client.post(
        "/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", "review_step": "ja"}
    )
    assert answer.get_json()["error"] == "bad_request"


def test_times_up_does_not_move_past_a_round_that_has_not_chosen(app, pitched):
    pitched.facilitator.ok("session:settings", auto_advance=True)
    pitched.facilitator.ok("timer:control", action="start")
    assert expire_timer(app)[-1].data["session"]["step_index"] == 2
    pitched.facilitator.ok("case:choose", id=pitched.pitches["Ayla"])
    pitched.facilitator.ok("timer:control", action="reset")
    pitched.facilitator.ok("timer:control", action="start")
    assert expire_timer(app)[-1].data["session"]["step_index"] == 3


# --- the rule, for any votes ------------------------------------------------------------------


@given(
    votes=st.dictionaries(st.sampled_from("ABCDEFG"), st.sampled_from("xyz"), max_size=7),
    voters=st.sets(st.sampled_from("ABCDEFG"), max_size=7),
)
def test_the_winner_is_the_one_pitch_ahead_once_everyone_voted(votes, voters):
    winner = vote_winner(votes, voters)
    counts = Counter(votes.values())
    if not voters or not voters <= votes.keys():
        assert winner is None
    elif winner is None:
        assert sorted(counts.values())[-2:].count(max(counts.values())) == 2  # a tie at the top
    else:
        assert all(n < counts[winner] for pitch, n in counts.items() if pitch != winner)


def test_a_pitch_whose_author_left_takes_no_votes_and_never_decides_by_itself(pitched):
    f, (ayla, bram, chen, daan) = pitched.facilitator, pitched.people
    for person in (f, ayla, bram):
        person.ok("case:vote", id=pitched.pitches["Chen"])
    f.ok("participant:remove", participant_id=chen.id)
    refused = daan.emit("case:vote", id=pitched.pitches["Chen"])
    assert refused["error"] == "pitch_author_gone"
    assert refused["message"] == translate("nl", "error.pitch_author_gone")
    # The last vote goes elsewhere: the votes point to a pitch whose author left, so nothing is chosen.
    state = daan.ok("case:vote", id=pitched.pitches["Bram"])["state"]
    assert state["case_round"]["chosen"] is None and state["case_round"]["tally"] is not None
    assert (
        f.ok("case:choose", id=pitched.pitches["Bram"])["state"]["case_round"]["chosen"]
        == pitched.pitches["Bram"]
    )
