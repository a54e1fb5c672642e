"""Who may export, the attendance list, deleting a session at once, and starting a follow-up."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from intervisie import export
from intervisie.db import db
from intervisie.models import Connection, Contribution, Mark, Participant, Session, StepVisit
from intervisie.offload import run_off_loop
from intervisie.records import attended_minutes, safe_cell
from tests.conftest import Group, Person
from tests.test_export import ACTION, DETAILS, HIDDEN, added, download, play_session


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def refusal(response, status: int, code: str) -> str:
    assert response.status_code == status, response.data
    body = response.get_json()
    assert body["ok"] is False and body["error"] == code
    assert body["message"] and not body["message"].startswith("error.")
    return body["message"]


# --- who may export ----------------------------------------------------------------------


def test_participants_and_strangers_are_refused_in_their_language(client, group):
    play_session(group)
    bram = group.participants[0]

    message = refusal(download(client, group.code, "pdf", bram.token), 403, "record_forbidden")
    assert message.startswith("Alleen de procesbegeleider en de inbrenger")
    bram.ok("language:set", lang="en")
    message = refusal(download(client, group.code, "md", bram.token), 403, "record_forbidden")
    assert message.startswith("Only the facilitator and the case bringer")
    refusal(client.post(f"/api/sessions/{group.code}/record.json"), 403, "record_forbidden")
    refusal(download(client, group.code, "json", "not-a-real-token-at-all"), 403, "record_forbidden")
    refusal(download(client, "ZZZZZZ", "json", group.facilitator.token), 404, "unknown_session")


def test_another_sessions_facilitator_is_refused(app, client, group):
    play_session(group)
    other = Group(app, client, participants=1)

    refusal(download(client, group.code, "json", other.facilitator.token), 403, "record_forbidden")


def test_the_token_is_never_read_from_the_query_string(client, group):
    token = group.facilitator.token
    response = client.get(f"/api/sessions/{group.code}/record.md?token={token}")
    refusal(response, 403, "record_forbidden")
    assert client.get(f"/api/sessions/{group.code}/record.md", headers=bearer(token)).status_code == 200


def test_a_plain_form_post_downloads(client, group):
    response = client.post(
        f"/api/sessions/{group.code}/record.pdf", data={"token": group.facilitator.token, "names": "on"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert response.headers["Cache-Control"] == "no-store"


def test_facilitator_any_time_case_bringer_from_the_last_step(client, group):
    cb_token, fac_token = group.case_bringer.token, group.facilitator.token
    assert download(client, group.code, "md", fac_token).status_code == 200  # still in the lobby
    group.start()
    refusal(download(client, group.code, "md", cb_token), 403, "record_not_yet")
    for _ in range(6):
        group.go("next")
    refusal(download(client, group.code, "md", cb_token), 403, "record_not_yet")
    group.go("next")  # the last step
    assert download(client, group.code, "md", cb_token).status_code == 200
    group.facilitator.ok("session:end")
    assert download(client, group.code, "json", cb_token).status_code == 200


def test_only_the_case_bringer_edits_the_recorded_case(client, group):
    group.start()
    url = f"/api/sessions/{group.code}/record/case"
    for person in (group.facilitator, group.participants[0]):
        refusal(client.post(url, headers=bearer(person.token), json={"text": "x"}), 403, "case_bringer_only")
    too_long = client.post(url, headers=bearer(group.case_bringer.token), json={"text": "x" * 6001})
    refusal(too_long, 400, "too_long")


# --- attendance --------------------------------------------------------------------------


def test_attendance_is_for_the_facilitator_only(client, group):
    play_session(group)
    url = f"/api/sessions/{group.code}/attendance.csv"
    for person in (group.case_bringer, group.participants[0]):
        refusal(client.post(url, headers=bearer(person.token)), 403, "facilitator_only")

    response = client.post(url, headers=bearer(group.facilitator.token))
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="aanwezigheid-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Naam", "Datum", "Duur (minuten)"]
    assert [r[0] for r in rows[1:]] == ["Fien", "Ayla", "Bram", "Chen", "Daan", "Eva"]


def test_attendance_minutes_from_joining_to_end_or_leaving(app, client, group):
    play_session(group)
    with db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == group.code))
        start = session.started_at = 1_000_000.0
        session.ended_at = start + 90 * 60
        people = {p.name: p for p in session.participants}
        people["Fien"].joined_at = start - 600  # joined before the start: counts from the start
        people["Ayla"].joined_at = start + 10 * 60  # came late
        people["Bram"].joined_at, people["Bram"].left_at = start, start + 45 * 60  # left, never came back
        people["Chen"].joined_at, people["Chen"].left_at = start, start + 120 * 60  # left after the end
        orm.commit()
        minutes = {p.name: attended_minutes(p, session, start + 200 * 60) for p in session.participants}
    assert minutes["Fien"] == 90
    assert minutes["Ayla"] == 80
    assert minutes["Bram"] == 45
    assert minutes["Chen"] == 90
    rows = list(
        csv.reader(
            io.StringIO(
                client.post(
                    f"/api/sessions/{group.code}/attendance.csv", headers=bearer(group.facilitator.token)
                ).data.decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )
    assert rows[1][1] == "12 januari 1970" and rows[1][2] == "90"


def test_attendance_cells_cannot_run_as_formulas(app, client):
    group = Group(app, client, participants=1)
    for name in ("=HYPERLINK(1)", "+31 6", "-min", "@SUM(A1)"):
        Person(app, name).ok("session:join", code=group.code, name=name)
    response = client.post(
        f"/api/sessions/{group.code}/attendance.csv",
        headers=bearer(group.facilitator.token),
        data={"lang": "en"},
    )
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Date", "Duration (minutes)"]
    assert [r[0] for r in rows[4:]] == ["'=HYPERLINK(1)", "'+31 6", "'-min", "'@SUM(A1)"]
    assert safe_cell("\tx") == "'\tx" and safe_cell("\rx") == "'\rx" and safe_cell("Ayla") == "Ayla"
    assert safe_cell("\nx") == "'\nx" and safe_cell("ik \ud83d") == "ik \ufffd"


def test_attendance_carries_names_exactly_with_the_date_written_out(app, client):
    group = Group(app, client, participants=1)
    names = ['Zoë 🌻 "de" Vries; jr.', "Anne, Marie", "<b>Sem</b> *x*"]
    for name in names:
        Person(app, name).ok("session:join", code=group.code, name=name)
    with db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == group.code))
        session.created_at = datetime(2026, 11, 29, 12, tzinfo=ZoneInfo("Europe/Amsterdam")).timestamp()
        orm.commit()
    for lang, delimiter, day in (("nl", ";", "29 november 2026"), ("en", ",", "29 November 2026")):
        response = client.post(
            f"/api/sessions/{group.code}/attendance.csv",
            headers=bearer(group.facilitator.token),
            data={"lang": lang, "tz": "Europe/Amsterdam"},
        )
        assert response.data.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=delimiter))
        assert [r[0] for r in rows[4:]] == names  # after Fien, Ayla and Bram
        assert {r[1] for r in rows[1:]} == {day}
        assert all(len(r) == 3 for r in rows)


# --- size cap ----------------------------------------------------------------------------


def test_a_record_too_large_for_a_pdf_is_refused_in_the_readers_language(client, group, monkeypatch):
    play_session(group)
    monkeypatch.setattr(export, "PDF_MAX_CHARS", 500)
    token = group.facilitator.token

    message = refusal(download(client, group.code, "pdf", token), 413, "record_too_large")
    assert message.startswith("Dit verslag is te groot voor een PDF: meer dan 500 tekens")
    message = refusal(download(client, group.code, "pdf", token, lang="en"), 413, "record_too_large")
    assert message.startswith("This record is too large for a PDF: more than 500 characters")
    assert download(client, group.code, "md", token).status_code == 200
    assert download(client, group.code, "json", token).status_code == 200
    monkeypatch.setattr(export, "PDF_MAX_CHARS", 400_000)
    assert download(client, group.code, "pdf", token).status_code == 200


def test_the_cap_is_written_with_the_readers_digit_grouping(client, group, monkeypatch):
    monkeypatch.setattr(export, "text_size", lambda record: export.PDF_MAX_CHARS + 1)
    token = group.facilitator.token

    assert "400.000" in refusal(download(client, group.code, "pdf", token), 413, "record_too_large")
    assert "400,000" in refusal(
        download(client, group.code, "pdf", token, lang="en"), 413, "record_too_large"
    )


def test_run_off_loop_calls_directly_outside_eventlet():
    assert run_off_loop(sorted, [3, 1, 2]) == [1, 2, 3]
    with pytest.raises(ZeroDivisionError):
        run_off_loop(lambda: 1 / 0)


# --- deleting at once --------------------------------------------------------------------


def rows_of(session_id: str) -> dict[str, int]:
    with db.session() as orm:
        return {
            table.__tablename__: orm.scalar(
                select(func.count())
                .select_from(table)
                .where((table.id if table is Session else table.session_id) == session_id)
            )
            for table in (Session, Participant, Connection, Contribution, Mark, StepVisit)
        }


def test_facilitator_deletes_a_session_with_everything_in_it(app, client, group):
    play_session(group, end=False)
    other = Group(app, client, participants=1)
    other.start()
    added(other.facilitator, "checkin", "Goed.")
    session_id = group.created["session_id"]
    before = rows_of(other.created["session_id"])
    assert all(rows_of(session_id).values())
    url = f"/api/sessions/{group.code}/delete"

    refusal(
        client.post(url, headers=bearer(group.participants[0].token), data={"confirm": group.code}),
        403,
        "facilitator_only",
    )
    refusal(
        client.post(url, headers=bearer(group.facilitator.token), data={"confirm": "nope"}),
        400,
        "confirm_delete",
    )
    refusal(client.post(url, headers=bearer(group.facilitator.token)), 400, "confirm_delete")
    group.drain()
    response = client.post(url, headers=bearer(group.facilitator.token), data={"confirm": group.code.lower()})

    assert response.get_json() == {"ok": True, "deleted": True}
    assert set(rows_of(session_id).values()) == {0}
    assert rows_of(other.created["session_id"]) == before
    assert all(person.received("session:deleted") for person in group.everyone)
    assert not other.facilitator.received("session:deleted")
    refusal(download(client, group.code, "md", group.facilitator.token), 404, "unknown_session")
    assert (
        group.participants[0].emit("contribution:add", client_id="x" * 10, kind="question", text="Wat?")[
            "error"
        ]
        == "not_joined"
    )


def test_delete_verb_works_too(client, group):
    response = client.delete(
        f"/api/sessions/{group.code}", headers=bearer(group.facilitator.token), json={"confirm": group.code}
    )
    assert response.status_code == 200
    assert set(rows_of(group.created["session_id"]).values()) == {0}


# --- follow-up ---------------------------------------------------------------------------


def create(client, **extra):
    return client.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", **extra})


def carried_in_state(app, created: dict) -> list:
    person = Person(app, "Fien")
    return person.ok("session:resume", token=created["token"])["snapshot"]["carried_actions"]


def test_follow_up_carries_the_actions_of_the_earlier_session(app, client, group):
    play_session(group)
    for person in (group.facilitator, group.case_bringer):
        created = create(client, follow_up={"code": group.code, "token": person.token}).get_json()
        assert created["ok"], created
        assert carried_in_state(app, created) == [{"text": ACTION, **DETAILS}]
    named = create(client, follow_up={"code": group.code, "token": group.facilitator.token, "names": True})
    assert carried_in_state(app, named.get_json()) == [{"text": ACTION, **DETAILS, "author": "Ayla"}]
    with db.session() as orm:
        later = orm.scalar(select(Session).where(Session.code == named.get_json()["code"]))
        assert later.follow_up_of == group.created["session_id"]


def test_follow_up_is_refused_to_others(client, group):
    play_session(group)
    response = create(client, follow_up={"code": group.code, "token": group.participants[0].token})
    refusal(response, 403, "follow_up_forbidden")
    refusal(create(client, follow_up={"code": "ZZZZZZ", "token": "x" * 20}), 400, "unknown_session")
    refusal(create(client, follow_up="nonsense"), 400, "bad_request")


def test_follow_up_from_a_json_record(app, client, group):
    play_session(group)
    plain = download(client, group.code, "json", group.facilitator.token).get_json()
    named = download(client, group.code, "json", group.facilitator.token, names="true").get_json()

    created = create(client, follow_up_record=plain).get_json()
    assert carried_in_state(app, created) == [{"text": ACTION, **DETAILS}]
    created = create(client, follow_up_record=named).get_json()
    assert carried_in_state(app, created) == [{"text": ACTION, **DETAILS, "author": "Ayla"}]
    with db.session() as orm:
        later = orm.scalar(select(Session).where(Session.code == created["code"]))
        assert later.follow_up_of == group.created["session_id"]
    assert HIDDEN not in str(later.carried_actions)

    plain["actions"] = [{"text": {"no": "text"}}]
    refusal(create(client, follow_up_record=plain), 400, "bad_record")
    refusal(create(client, follow_up_record={"schema_version": 99, "actions": []}), 400, "bad_record")
    refusal(create(client, follow_up_record=[1, 2]), 400, "bad_record")


def test_a_new_session_carries_nothing(app, client):
    created = create(client).get_json()
    assert carried_in_state(app, created) == []
