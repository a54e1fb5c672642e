"""Tailoring a method when creating a session, and a group's own method file: download, check, upload."""

from __future__ import annotations

import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intervisie import cli, tailoring
from intervisie.methods import MethodError, default_directory, load_library, method_to_document, parse_method
from intervisie.session import RuleViolation
from tests.conftest import Group

LIBRARY, DECKS = load_library(default_directory())
FIVE = LIBRARY["vijf-fasen"]


def plan_of(method, order=None, **changes):
    """A plan for ``method``: its steps in ``order`` (ids, default all), with per-step changes."""
    return [
        {"step": sid, **changes.get(sid.replace("-", "_"), {})}
        for sid in order or [s.id for s in method.steps]
    ]


def create(client, **payload):
    return client.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", **payload})


# --- the rules of a plan ------------------------------------------------------------------------


def test_every_shipped_method_reads_back_from_its_own_document():
    for method in LIBRARY.values():
        assert parse_method(method_to_document(method), method.source) == method


def test_an_untouched_plan_is_the_method_itself():
    for method in LIBRARY.values():
        assert tailoring.tailor(method, plan_of(method)) == method


def test_skip_move_rename_and_minutes_make_the_tailored_method():
    order = ["check-in", "casus", "perspectieven", "vragen", "oplossingen", "opbrengst", "afsluiting"]
    tailored = tailoring.tailor(
        FIVE, plan_of(FIVE, order, vragen={"name": "Onze vragen", "minutes": 20}, check_in={"minutes": 3})
    )
    assert [s.id for s in tailored.steps] == order  # the causes step is left out, perspectives come first
    questions = tailored.steps[3]
    assert questions.names == {"nl": "Onze vragen", "en": "Onze vragen"} and questions.minutes == 20
    assert questions.rules == FIVE.steps[2].rules  # renaming keeps every rule of the step
    assert tailored.steps[0].minutes == 3 and tailored.steps[2].minutes == FIVE.steps[3].minutes


@pytest.mark.parametrize(
    ("plan", "code"),
    [
        (None, "bad_request"),
        ([], "bad_request"),
        ("vragen", "bad_request"),
        ([{"step": "vragen"}, {"step": "vragen"}], "bad_request"),
        ([{"step": "casus", "colour": "red"}], "bad_request"),
        ([{"step": 3}], "bad_request"),
        ([{"step": "nope"}], "no_such_step"),
        ([{"step": "casus", "minutes": 0}], "bad_minutes"),
        ([{"step": "casus", "minutes": True}], "bad_minutes"),
        ([{"step": "casus", "minutes": "5"}], "bad_minutes"),
        ([{"step": "casus", "name": "  "}], "empty"),
        ([{"step": "casus", "name": "x" * 61}], "too_long"),
        ([{"step": "casus", "name": ["a"]}], "bad_request"),
        ([{"step": "vragen"}], "step_required"),  # the case cannot be left out
    ],
)
def test_a_plan_that_does_not_hold_is_refused(plan, code):
    with pytest.raises(RuleViolation) as refused:
        tailoring.tailor(FIVE, plan)
    assert refused.value.code == code


def test_a_step_that_keeps_its_place_stays_between_the_same_steps():
    moved_fixed = ["casus", "check-in", "vragen", "opbrengst", "afsluiting"]
    jumped_over = ["check-in", "casus", "opbrengst", "vragen", "afsluiting"]
    before_case = ["check-in", "vragen", "casus", "opbrengst", "afsluiting"]
    for order in (moved_fixed, jumped_over, before_case):
        with pytest.raises(RuleViolation) as refused:
            tailoring.tailor(FIVE, plan_of(FIVE, order))
        assert refused.value.code == "step_fixed"
    # Free steps move among themselves between the fixed ones.
    free = ["check-in", "casus", "oplossingen", "oorzaken", "vragen", "opbrengst", "afsluiting"]
    assert [s.id for s in tailoring.tailor(FIVE, plan_of(FIVE, free)).steps] == free


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    plan=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(["step", "name", "minutes", "x"]), inner, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_any_shape_of_plan_is_a_method_or_a_refusal(plan):
    try:
        tailored = tailoring.tailor(FIVE, plan)
    except (RuleViolation, MethodError):
        return
    assert {s.id for s in tailored.steps} <= {s.id for s in FIVE.steps}


# --- a session runs the tailored plan ------------------------------------------------------------


def test_the_session_runs_and_shows_the_tailored_plan(app, client):
    order = ["check-in", "casus", "oplossingen", "vragen", "opbrengst", "afsluiting"]
    group = Group(app, client, plan=plan_of(FIVE, order, oplossingen={"name": "Eerst ideeën", "minutes": 7}))
    steps = group.facilitator.snapshot["method"]["steps"]
    assert [s["id"] for s in steps] == order
    assert steps[2]["names"] == {"nl": "Eerst ideeën", "en": "Eerst ideeën"} and steps[2]["minutes"] == 7
    group.start()
    state = group.go(2)  # the renamed solutions step, with its own rules: the case bringer listens
    assert state["session"]["step_index"] == 2
    refused = group.case_bringer.add("solution", "Ik doe het zelf wel")
    assert not refused["ok"] and refused["error"] == "case_bringer_listens"
    assert group.participants[0].add("solution", "Plan een tweede gesprek")["ok"]


def test_a_refused_plan_says_why_in_the_users_language_and_creates_nothing(client):
    nl = create(client, plan=[{"step": "vragen"}], lang="nl").get_json()
    assert nl == {
        "ok": False,
        "error": "step_required",
        "message": "De stap ‘De casus’ hoort bij deze methode en kan niet worden overgeslagen.",
    }
    en = create(client, plan=plan_of(FIVE, ["casus", "check-in"]), lang="en").get_json()
    assert en["error"] == "step_fixed" and "‘Check-in’ keeps its place" in en["message"]


# --- the group's own method file -------------------------------------------------------------------


def own_file(client, name="Onze vijf fasen", **payload) -> tuple[str, str]:
    response = client.post("/api/methods/own", json={"method_id": "vijf-fasen", "name": name, **payload})
    assert response.status_code == 200, response.get_json()
    filename = response.headers["Content-Disposition"].split('filename="')[1].rstrip('"')
    return filename, response.get_data(as_text=True)


def test_a_saved_plan_is_a_method_file_that_methods_check_accepts(client, tmp_path, capsys):
    order = ["check-in", "casus", "vragen", "oplossingen", "opbrengst", "afsluiting"]
    filename, text = own_file(client, plan=plan_of(FIVE, order, vragen={"name": "Vragen, alleen open"}))
    assert filename == "onze-vijf-fasen.yaml"
    (tmp_path / filename).write_text(text, encoding="utf-8")
    shutil.copytree(default_directory() / "decks", tmp_path / "decks")
    assert cli.main(["methods", "check", str(tmp_path)]) == 0
    assert "ok: onze-vijf-fasen.yaml: onze-vijf-fasen (6 steps)" in capsys.readouterr().out
    method = tailoring.read_own_method({"name": filename, "text": text}, DECKS)
    assert method.names["en"] == "Onze vijf fasen" and [s.id for s in method.steps] == order
    assert method.steps[2].names["nl"] == "Vragen, alleen open"


def test_an_uploaded_method_is_checked_then_runs_a_session(app, client):
    filename, text = own_file(client, plan=plan_of(FIVE, ["check-in", "casus", "vragen", "afsluiting"]))
    checked = client.post("/api/methods/check", json={"method_file": {"name": filename, "text": text}})
    body = checked.get_json()
    assert body["ok"] and body["method"]["name"] == "Onze vijf fasen" and body["method"]["minutes"] == 35
    assert 'value="own:file"' in body["option"] and "Onze vijf fasen" in body["option"]
    assert 'data-step="afsluiting"' in body["steps"]
    group = Group(
        app, client, method_id=None, method_file={"name": filename, "text": text}, plan=[{"step": "casus"}]
    )
    assert [s["id"] for s in group.facilitator.snapshot["method"]["steps"]] == ["casus"]
    about = client.get(f"/s/{group.code}").get_data(as_text=True)
    assert "Onze vijf fasen" in about  # the join page names the session's own method


BROKEN = [
    ("steps: [\n", "nl", "Het bestand eigen.yaml klopt niet op regel 2: geen geldige YAML"),
    ("- just a list", "nl", "Het bestand eigen.yaml klopt niet: moet een lijst van velden zijn"),
    ("id: Eigen!", "en", "The file eigen.yaml is not right: missing field 'audience'"),
]


@pytest.mark.parametrize(("text", "lang", "message"), BROKEN)
def test_a_broken_upload_names_file_field_and_problem_in_the_users_language(client, text, lang, message):
    response = client.post(
        "/api/methods/check", json={"method_file": {"name": "eigen.yaml", "text": text}, "lang": lang}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "method_invalid"
    assert response.get_json()["message"].startswith(message)


def broken_documents():
    """Shipped methods broken one field at a time: each problem the loader can name for an upload."""
    good = method_to_document(FIVE)
    step = good["steps"][2]
    yield {**good, "id": "Niet Goed"}
    yield {**good, "names": {"nl": "x"}}
    yield {**good, "names": {"nl": "x", "en": "y", "fr": "z"}}
    yield {**good, "names": "x"}
    yield {**good, "group_size": [3]}
    yield {**good, "group_size": [3, 99]}
    yield {**good, "audience": "everyone"}
    yield {**good, "steps": []}
    yield {**good, "house_rules": "be nice"}
    yield {**good, "deck": "nope"}
    yield {**good, "fits": {"goals": [], "experience": ["beginner"], "when": {"nl": "a", "en": "b"}}}
    yield {**good, "colour": "red"}
    yield {**good, "steps": [*good["steps"], good["steps"][0]]}
    yield {**good, "steps": [{**step, "rules": [7]}]}
    yield {**good, "steps": [{**step, "can_skip": "no"}]}
    yield {**good, "steps": [{**step, "contribute": [{"kind": "question", "roles": ["x"]}]}]}
    yield {**good, "steps": [{**step, "contribute": [step["contribute"][0], step["contribute"][0]]}]}
    yield {**good, "steps": [{**step, "rules": [{"type": "max_per_person", "count": 2, "kind": "cause"}]}]}
    yield {**good, "steps": [{**step, "rules": [{"type": "cards", "hand": 2, "kind": "cause"}]}]}
    yield {**good, "steps": [{**step, "rules": [{"type": "cards", "hand": 2}]}]}
    yield {**good, "steps": [{**step, "rules": [{"type": "loop_back", "to": "casus"}]}]}
    yield {
        **good,
        "steps": [{**good["steps"][3], "contribute": [{"kind": "perspective", "roles": ["case_bringer"]}]}],
    }
    yield from broken_breakouts()


def broken_breakouts():
    """The Troika method broken in each way its ``breakouts`` rule can be."""
    good = method_to_document(LIBRARY["troika"])
    opening, rounds, harvest = good["steps"]
    rule = rounds["rules"][0]
    phase = rule["phases"][0]

    def with_rule(**changes):
        return {**good, "steps": [opening, {**rounds, "rules": [{**rule, **changes}]}, harvest]}

    yield with_rule(phases=[phase] * 9)
    yield with_rule(phases=[{**phase, "consultants": ["answer"]}])
    yield with_rule(phases=[{**phase, "turned_away": True}])
    yield {**good, "steps": [opening, {**rounds, "contribute": opening["contribute"]}, harvest]}
    yield {**good, "steps": [opening, {**rounds, "rules": [rule, "open_questions"]}, harvest]}
    yield {**good, "steps": [opening, rounds, {**harvest, "rules": ["case_bringer_listens"]}]}


def test_every_problem_an_upload_can_have_is_said_in_dutch_and_english():
    for document in broken_documents():
        text = yaml.safe_dump(document, allow_unicode=True)
        with pytest.raises(MethodError) as broken:
            tailoring.read_own_method({"name": "eigen.yaml", "text": text}, DECKS)
        nl, en = tailoring.explain("nl", broken.value), tailoring.explain("en", broken.value)
        assert broken.value.problem in en, en  # English says the loader's own words
        assert broken.value.problem not in nl and nl.startswith("Het bestand eigen.yaml klopt niet"), nl


def test_an_upload_is_data_only_and_size_limited(client):
    code = "!!python/object/apply:os.system ['echo hacked']"
    body = client.post(
        "/api/methods/check", json={"method_file": {"name": "x.yaml", "text": code}}
    ).get_json()
    assert body["error"] == "method_invalid" and "YAML" in body["message"]
    huge = "# " + "x" * tailoring.MAX_FILE_BYTES
    body = client.post(
        "/api/methods/check", json={"method_file": {"name": "x.yaml", "text": huge}}
    ).get_json()
    assert body["error"] == "method_file_too_large" and "64 KB" in body["message"]
    for shape in (
        None,
        "text",
        {"name": "x.yaml"},
        {"name": 1, "text": ""},
        {"name": "x", "text": "", "y": 1},
    ):
        body = client.post("/api/methods/check", json={"method_file": shape}).get_json()
        assert body["ok"] is False and body["error"] == "bad_request"
    deep = client.post("/api/methods/check", json={"method_file": {"name": "x.yaml", "text": "[" * 5000}})
    assert deep.get_json()["error"] == "method_invalid"
