"""The session rules, driven directly: no app, no network."""

import pytest

from intervisie import session as rules
from intervisie.methods import default_directory, load_methods
from intervisie.session import Contributor, RuleViolation, Timer

METHOD = load_methods(default_directory())["vijf-fasen"]
STEP = {s.id: s for s in METHOD.steps}


def refused(code, fn, *args, **kwargs):
    with pytest.raises(RuleViolation) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code
    return caught.value


# --- join codes and text -----------------------------------------------------------------


def test_join_codes_avoid_ambiguous_characters():
    codes = {rules.new_join_code() for _ in range(500)}
    assert len(codes) > 490
    for code in codes:
        assert len(code) == rules.CODE_LENGTH
        assert not set(code) & set("0O1Il")


def test_typed_codes_are_normalised():
    assert rules.normalise_code(" abc-d2f ") == "ABCD2F"


def test_text_is_trimmed_and_capped():
    assert rules.clean_text("  hoi\x00 ", 10) == "hoi"
    assert refused("too_long", rules.clean_text, "x" * 11, 10).params == {"max": 10}
    refused("empty", rules.clean_text, "   ", 10)
    refused("bad_request", rules.clean_text, 42, 10)
    assert rules.clean_text("", 10, required=False) == ""


# --- roles and steps ---------------------------------------------------------------------


def test_only_the_facilitator_controls():
    rules.require_facilitator("facilitator")
    for role in ("case_bringer", "participant", "screen"):
        refused("forbidden_role", rules.require_facilitator, role)


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [(0, "next", 1), (3, "prev", 2), (2, 7, 7), (5, 0, 0)],
)
def test_step_navigation(current, target, expected):
    assert rules.target_step(current, target, 8) == expected


@pytest.mark.parametrize(("current", "target"), [(7, "next"), (0, "prev"), (0, 8), (0, -1)])
def test_step_navigation_stays_in_the_plan(current, target):
    refused("no_such_step", rules.target_step, current, target, 8)


@pytest.mark.parametrize("target", ["sideways", None, True, 1.5, [1]])
def test_step_navigation_refuses_nonsense(target):
    refused("bad_request", rules.target_step, 0, target, 8)


def test_step_minutes_overrides_are_checked():
    assert rules.check_step_minutes(METHOD, {"vragen": 20}) == {"vragen": 20}
    assert rules.check_step_minutes(METHOD, None) == {}
    refused("no_such_step", rules.check_step_minutes, METHOD, {"nope": 3})
    refused("bad_minutes", rules.check_step_minutes, METHOD, {"vragen": 0})
    refused("bad_minutes", rules.check_step_minutes, METHOD, {"vragen": "5"})
    refused("bad_request", rules.check_step_minutes, METHOD, ["vragen"])
    assert rules.step_minutes(STEP["vragen"], {"vragen": 20}) == 20
    assert rules.step_minutes(STEP["vragen"], {}) == 15


# --- contributions -----------------------------------------------------------------------

PARTICIPANT = Contributor("p1", "participant")
CASE_BRINGER = Contributor("cb", "case_bringer")


def test_permitted_roles_contribute_the_steps_kinds():
    assert (
        rules.check_contribution(STEP["vragen"], "running", PARTICIPANT, "question", "Wat gebeurde er?", 0)
        is None
    )
    rules.check_contribution(STEP["vragen"], "running", CASE_BRINGER, "answer", "Dit.", 0)
    rules.check_contribution(STEP["casus"], "running", CASE_BRINGER, "case", "Mijn casus", 0)


def test_wrong_kind_role_or_state_is_refused():
    refused(
        "wrong_step", rules.check_contribution, STEP["vragen"], "running", PARTICIPANT, "solution", "x", 0
    )
    refused("forbidden_role", rules.check_contribution, STEP["casus"], "running", PARTICIPANT, "case", "x", 0)
    refused("not_started", rules.check_contribution, STEP["vragen"], "lobby", PARTICIPANT, "question", "x", 0)
    refused(
        "session_ended", rules.check_contribution, STEP["vragen"], "ended", PARTICIPANT, "question", "x", 0
    )
    refused("bad_request", rules.check_contribution, STEP["vragen"], "running", PARTICIPANT, 3, "x", 0)


def test_case_bringer_listens_in_listening_steps():
    for step_id in ("perspectieven", "oorzaken", "oplossingen"):
        refused(
            "case_bringer_listens",
            rules.check_contribution,
            STEP[step_id],
            "running",
            CASE_BRINGER,
            "perspective",
            "x",
            0,
        )


def test_cap_per_person():
    rules.check_contribution(STEP["check-in"], "running", PARTICIPANT, "checkin", "Goed!", 0)
    violation = refused(
        "limit_reached", rules.check_contribution, STEP["check-in"], "running", PARTICIPANT, "checkin", "x", 1
    )
    assert violation.params == {"max": 1}


def test_closed_questions_and_advice_get_a_nudge_not_a_refusal():
    flag = rules.check_contribution(
        STEP["vragen"], "running", PARTICIPANT, "question", "Heb je al eens met je leidinggevende gepraat?", 0
    )
    assert flag == "advice_question"
    closed = rules.check_contribution(STEP["vragen"], "running", PARTICIPANT, "question", "Was je boos?", 0)
    assert closed == "closed_question"
    opened = rules.check_contribution(STEP["vragen"], "running", PARTICIPANT, "question", "Hoe ging het?", 0)
    assert opened is None


def test_action_details_are_structured_and_capped():
    assert rules.clean_details("action", {"who": " ik ", "when": "vrijdag", "measure": ""}, 200) == {
        "who": "ik",
        "when": "vrijdag",
    }
    assert rules.clean_details("action", None, 200) is None
    refused("bad_request", rules.clean_details, "question", {"who": "ik"}, 200)
    refused("bad_request", rules.clean_details, "action", {"salary": "x"}, 200)
    refused("too_long", rules.clean_details, "action", {"who": "x" * 201}, 200)


# --- marks -------------------------------------------------------------------------------


def test_case_bringer_rates_questions():
    assert (
        rules.check_mark(STEP["vragen"], "running", "case_bringer", "question", "warm", True, 0) == "rating"
    )
    assert (
        rules.check_mark(STEP["oplossingen"], "running", "case_bringer", "solution", "appeals", True, 0)
        == "appeals"
    )
    refused(
        "forbidden_role",
        rules.check_mark,
        STEP["vragen"],
        "running",
        "participant",
        "question",
        "warm",
        True,
        0,
    )
    refused(
        "bad_mark",
        rules.check_mark,
        STEP["vragen"],
        "running",
        "case_bringer",
        "question",
        "appeals",
        True,
        0,
    )
    refused(
        "wrong_step",
        rules.check_mark,
        STEP["perspectieven"],
        "running",
        "case_bringer",
        "question",
        "warm",
        True,
        0,
    )
    refused(
        "bad_request",
        rules.check_mark,
        STEP["vragen"],
        "running",
        "case_bringer",
        "question",
        "warm",
        "yes",
        0,
    )


def test_takeaways_are_picked_in_the_closing_step():
    for kind in ("question", "perspective", "cause", "solution"):
        assert rules.check_mark(STEP["opbrengst"], "running", "case_bringer", kind, "keep", True, 0) == "keep"


# --- visibility --------------------------------------------------------------------------


def visible(**overrides):
    base = dict(
        hidden=False,
        author_id="a",
        contribution_step=2,
        private_step=False,
        current_step=2,
        viewer_id="b",
        viewer_role="participant",
    )
    return rules.visible_to(**{**base, **overrides})


def test_hidden_contributions_reach_only_the_facilitator():
    assert visible()
    assert not visible(hidden=True)
    assert not visible(hidden=True, viewer_id="a")
    assert visible(hidden=True, viewer_role="facilitator")
    assert not visible(hidden=True, viewer_role="screen", viewer_id=None)


def test_private_writing_is_revealed_when_the_step_is_left():
    assert not visible(private_step=True)
    assert visible(private_step=True, viewer_id="a")
    assert visible(private_step=True, viewer_role="facilitator")
    assert visible(private_step=True, current_step=3)


# --- presence ----------------------------------------------------------------------------


def test_presence_has_a_grace_period():
    assert rules.presence(True, None, 100, 8) == "online"
    assert rules.presence(False, 95, 100, 8) == "online"
    assert rules.presence(False, 90, 100, 8) == "away"
    assert rules.presence(False, None, 100, 8) == "away"


# --- timer -------------------------------------------------------------------------------


def test_timer_runs_pauses_resumes():
    timer = Timer.fresh(600).start(now=1000)
    assert timer.state == "running" and timer.deadline == 1600
    assert timer.remaining_at(1100) == 500
    paused = timer.pause(now=1100)
    assert paused.state == "paused" and paused.remaining == 500 and paused.deadline is None
    assert paused.remaining_at(5000) == 500
    resumed = paused.resume(now=2000)
    assert resumed.deadline == 2500


def test_timer_add_and_reset():
    timer = Timer.fresh(300).start(now=0)
    assert timer.add(60, now=100).deadline == 360
    assert timer.add(-1000, now=100).deadline == 100
    assert Timer.fresh(300).add(60, now=0).remaining == 360
    assert timer.reset() == Timer.fresh(300)
    revived = timer.expire().add(60, now=500)
    assert revived.state == "running" and revived.deadline == 560


def test_timer_expiry_is_a_deadline_comparison():
    timer = Timer.fresh(60).start(now=0)
    assert not timer.is_due(59.9)
    assert timer.is_due(60)
    assert timer.view(61)["state"] == "expired"
    assert timer.view(61)["remaining_ms"] == 0
    assert timer.pause(now=61).state == "expired"


def test_timer_view_gives_what_clients_count_down_from():
    view = Timer.fresh(600).start(now=1000).view(now=1001.5)
    assert view == {
        "state": "running",
        "duration_ms": 600000,
        "deadline_ms": 1600000,
        "remaining_ms": 598500,
        "server_now_ms": 1001500,
    }


def test_timer_refuses_impossible_transitions():
    refused("timer_running", Timer.fresh(60).start(0).start, 1)
    refused("timer_not_running", Timer.fresh(60).pause, 1)
    refused("timer_not_paused", Timer.fresh(60).resume, 1)
    refused("bad_request", Timer.fresh(60).control, "explode", 0)
    refused("bad_request", Timer.fresh(60).add, "60", 0)
    refused("bad_request", Timer.fresh(60).add, True, 0)


def test_turn_order_takes_the_named_roles_in_joining_order():
    from dataclasses import replace

    from intervisie.methods import Rule

    step = replace(
        STEP["vragen"], rules=(Rule("turn_order", seconds_per_speaker=60, roles=("participant",)),)
    )
    people = [
        Contributor("f", "facilitator"),
        Contributor("a", "participant"),
        Contributor("b", "participant"),
    ]
    assert rules.turn_order(step, people) == ["a", "b"]
    refused("nobody_to_speak", rules.turn_order, step, people[:1])
    refused("wrong_step", rules.turn_order, STEP["vragen"], people)
    refused(
        "not_your_turn",
        rules.check_contribution,
        step,
        "running",
        Contributor("b", "participant"),
        "question",
        "Wat?",
        0,
        "a",
    )
