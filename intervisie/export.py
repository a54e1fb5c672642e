"""The session record: gathered once from the database, then written as Markdown, PDF or JSON.

``build_record`` alone decides what a record holds, and so what never leaves
the session: hidden contributions, people's names unless chosen, and the case
text as told when the case bringer has recorded a shorter one. The JSON format
is that dict as is (schema in ``docs/record-schema.json``); Markdown and PDF
lay out the same blocks from ``blocks``.
"""

from __future__ import annotations

import json
import os
import re
import time
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_interval, format_time
from flask import current_app
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select

from . import i18n
from . import session as rules
from .models import BreakoutGroup, Contribution, Mark, Session, StepVisit
from .service import method_of, sealed_step

SCHEMA_VERSION = 1
# Kinds with a section of their own; the step lists leave them out so nothing shows twice.
SECTION_KINDS = ("case", "takeaway", "action", "learned")
ACTION_FIELDS = ("who", "when", "measure")
# DejaVu Sans ships with the package (its licence is beside it), so every machine prints Dutch right;
# Noto Emoji (monochrome, SIL OFL) prints the emoji DejaVu lacks.
FONT_DIR = os.environ.get("INTERVISIE_FONT_DIR") or os.path.join(os.path.dirname(__file__), "fonts")
# A character no bundled font has is printed as this, never left out.
PLACEHOLDER = "\ufffd"
# The most text (characters, all fields together) a PDF is made of: about 100 A4 pages, a few
# seconds of work. Larger records are refused with ``record_too_large``; Markdown and JSON have no cap.
PDF_MAX_CHARS = 400_000
# Stands for the page count in the footer until the end. Private-use characters that no bundled font
# has: in people's text they become PLACEHOLDER, so a text never turns into a page number.
TOTAL_PAGES = "\ue000nb\ue000"
# Dates and times as the reader writes them: "29 november 2026", "29 November 2026", 14:05.
LOCALES = {"nl": "nl_NL", "en": "en_GB"}


def label(lang: str, key: str, **params) -> str:
    return i18n.translate(lang, f"record.{key}", **params)


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode: a surrogate pair stored as two halves joined, a lone one shown as U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _valid(value):
    """A record with every string valid Unicode, so every format can encode it, whatever was stored."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_text(k) if isinstance(k, str) else k: _valid(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_valid(v) for v in value]
    return value


def text_size(value) -> int:
    """How many characters of text a record holds, all fields together."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(text_size(v) for v in value.values())
    if isinstance(value, list):
        return sum(text_size(v) for v in value)
    return 0


def zone(name) -> ZoneInfo:
    """The requested time zone, else the configured one; UTC when the system has no zone data."""
    for candidate in (name, current_app.config["TIMEZONE"], "UTC"):
        if isinstance(candidate, str) and 0 < len(candidate) <= 64:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def _iso(seconds: float | None, tz) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz).isoformat(timespec="seconds")


def agreement(session: Session, names: bool, tz) -> dict | None:
    """The group's confidentiality agreement in the record; None when the session did not ask for it.

    ``confirmed``: how many people confirmed it (on joining); ``last_at``: the
    latest confirmation and ``consent_at``: the case bringer's consent to this
    record (ISO times, or None); ``names``: who, only when names are included.
    """
    if not session.confidentiality:
        return None
    agreed = sorted((p for p in session.participants if p.agreed_at is not None), key=lambda p: p.agreed_at)
    out = {
        "confirmed": len(agreed),
        "last_at": _iso(agreed[-1].agreed_at, tz) if agreed else None,
        "consent_at": _iso(session.record_consent_at, tz),
    }
    if names:
        out["names"] = [p.name for p in agreed]
    return out


def session_date(session: Session, tz) -> str:
    """The day it took place (or was planned), in the reader's time zone."""
    return datetime.fromtimestamp(session.started_at or session.created_at, tz).date().isoformat()


def _minutes(seconds: float) -> int:
    return round(seconds / 60)


# --- gathering ---------------------------------------------------------------------------


def told_case(orm, session: Session) -> str:
    """The case as told: the case bringer's visible case contributions, in order (a breakout round's
    client's challenge stays with its group, under its step)."""
    texts = orm.scalars(
        select(Contribution.text)
        .where(
            Contribution.session_id == session.id,
            Contribution.kind == "case",
            Contribution.hidden.is_(False),
            Contribution.group_id.is_(None),
        )
        .order_by(Contribution.created_at, Contribution.id)
    )
    return "\n\n".join(_plain(t) for t in texts)


def _plain(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _still_private(session: Session, method, c: Contribution) -> bool:
    """Written in a 'write privately' step that is still open, a note of the turned-away case bringer, or
    writing not revealed together yet: not even the record reveals it."""
    steps = method.steps
    if rules.own_only(c.kind, sealed_step(session, c.step_index)):
        return True
    return (
        session.status == "running"
        and c.step_index == session.step_index < len(steps)
        and steps[c.step_index].rule("write_privately") is not None
    )


def build_record(orm, session: Session, *, lang, names: bool = False, tz=None, now=None) -> dict:
    """Everything a record shows, in ``lang``; the one source for all three formats."""
    lang = i18n.pick(lang)
    now = now or time.time()
    tz = zone(tz)
    method = method_of(session)
    people = {p.id: p for p in session.participants}
    case_bringer = next((p for p in session.participants if p.role == "case_bringer" and not p.removed), None)
    contributions = [
        c
        for c in orm.scalars(
            select(Contribution)
            .where(Contribution.session_id == session.id, Contribution.hidden.is_(False))
            .order_by(Contribution.created_at, Contribution.id)
        )
        if not _still_private(session, method, c)
    ]
    marks_by_case_bringer: dict[str, list[str]] = {}
    if case_bringer is not None:
        marks = orm.scalars(
            select(Mark)
            .where(Mark.session_id == session.id, Mark.participant_id == case_bringer.id)
            .order_by(Mark.created_at)
        )
        for m in marks:
            marks_by_case_bringer.setdefault(m.contribution_id, []).append(m.value)
    spent: dict[int, float] = {}
    for visit in orm.scalars(select(StepVisit).where(StepVisit.session_id == session.id)):
        spent[visit.step_index] = spent.get(visit.step_index, 0.0) + (
            (visit.ended_at or now) - visit.started_at
        )

    def item(c: Contribution, **extra) -> dict:
        out = {"kind": c.kind, "text": _plain(c.text), **extra}
        author = people.get(c.participant_id)
        if names and (author is not None or c.author_name):
            out["author"] = author.name if author is not None else c.author_name
        if names and c.entered_by in people:  # added by the facilitator for someone without a device
            out["entered_by"] = people[c.entered_by].name
        if marks_by_case_bringer.get(c.id):
            out["marks"] = marks_by_case_bringer[c.id]
        return out

    steps = [
        {
            "index": i,
            "id": step.id,
            "name": step.names.get(lang) or step.names["nl"],
            "planned_minutes": rules.step_minutes(step, session.step_minutes),
            "actual_minutes": _minutes(spent[i]) if i in spent else None,
            "contributions": [],
        }
        for i, step in enumerate(method.steps)
    ]
    # An answer goes under its question; one whose question is not in the record stays in its step.
    in_record = {c.id for c in contributions}
    answers: dict[str, list[dict]] = {}
    for c in contributions:
        if c.reply_to in in_record:
            answers.setdefault(c.reply_to, []).append(item(c))
    # What breakout groups wrote stays with its group and round; the rest of the record is the whole group's.
    in_groups = [c for c in contributions if c.group_id is not None]
    for index, step in enumerate(method.steps):
        if step.rule("breakouts") is not None:
            steps[index]["groups"] = []  # a breakouts step's groups, even when they wrote nothing
    for index, groups in breakout_rounds(orm, session, in_groups, item, people, names).items():
        steps[index]["groups"] = groups
    contributions = [c for c in contributions if c.group_id is None]
    for c in contributions:
        if c.kind not in SECTION_KINDS and c.reply_to not in in_record and 0 <= c.step_index < len(steps):
            entry = item(c)
            if c.id in answers or rules.answerable(method.steps[c.step_index], c.kind):
                entry["answers"] = answers.get(c.id, [])
            steps[c.step_index]["contributions"].append(entry)

    for step in steps:  # the question coach's count for the step, never per person
        asked = [c for c in contributions if c.step_index == step["index"] and c.kind == "question"]
        if asked and method.steps[step["index"]].rule("open_questions") is not None:
            step["open_questions"] = {"open": sum(c.flag is None for c in asked), "asked": len(asked)}

    case = {
        "text": _plain(session.record_case or told_case(orm, session)),
        "edited": bool(session.record_case),
    }
    if names and case_bringer is not None:
        case["author"] = case_bringer.name
    takeaways = [
        item(c, source="takeaway" if c.kind == "takeaway" else "kept")
        for c in contributions
        if c.kind == "takeaway" or (c.kind != "case" and "keep" in marks_by_case_bringer.get(c.id, ()))
    ]
    actions = []
    for c in contributions:
        if c.kind == "action":
            action = item(c)
            action.update({k: v for k, v in (c.details or {}).items() if k in ACTION_FIELDS and v})
            actions.append(action)
    started = session.started_at
    record = {
        "schema_version": SCHEMA_VERSION,
        "lang": lang,
        "names_included": names,
        "generated_at": _iso(now, tz),
        "session": {
            "id": session.id,
            "title": session.title,
            "status": session.status,
            "method": {"id": method.id, "name": method.names.get(lang) or method.names["nl"]},
            "date": session_date(session, tz),
            "started_at": _iso(started, tz),
            "ended_at": _iso(session.ended_at, tz),
            "planned_minutes": sum(s["planned_minutes"] for s in steps),
            "actual_minutes": None if started is None else _minutes((session.ended_at or now) - started),
            "follow_up_of": session.follow_up_of,
            "agreement": agreement(session, names, tz),
        },
        "case": case,
        "steps": steps,
        "takeaways": takeaways,
        "actions": actions,
        "learned": [item(c) for c in contributions if c.kind == "learned"],
    }
    helped = [cid for cid, values in marks_by_case_bringer.items() if "helped" in values]
    balance = quadrant_balance_section(session, lang, helped)
    if balance is not None:
        record["quadrant_balance"] = balance
    return _valid(record)


def breakout_rounds(orm, session: Session, written: list[Contribution], item, people, names: bool) -> dict:
    """What breakout groups wrote, per step index: ``[{number, rounds: [{round, client?, left_out?,
    contributions}]}]``, every group and round in order, each round's writing in order (``item`` makes
    each entry); the round's client by name only when ``names``. Under the confidentiality agreement a
    round whose client did not consent (``record:consent``) is ``left_out``, without its writing."""
    groups = {
        g.id: g
        for g in orm.scalars(
            select(BreakoutGroup).where(BreakoutGroup.session_id == session.id).order_by(BreakoutGroup.number)
        )
    }
    by_step: dict[int, dict[str, dict]] = {}
    for c in written:
        group = groups.get(c.group_id)
        if group is None:
            continue
        entry = by_step.setdefault(group.step_index, {}).setdefault(
            group.id, {"number": group.number, "rounds": {}}
        )
        rounds = entry["rounds"]
        if c.round not in rounds:
            rounds[c.round] = {"round": c.round + 1, "contributions": []}
            client = people.get(group.members[c.round]) if c.round < len(group.members) else None
            if names and client is not None:
                rounds[c.round]["client"] = client.name
            # Under the confidentiality agreement a round is the client's case: in only with their consent.
            if session.confidentiality and (client is None or client.consent_at is None):
                rounds[c.round]["left_out"] = True
        if not rounds[c.round].get("left_out"):
            rounds[c.round]["contributions"].append(item(c))
    return {
        index: [
            {"number": g["number"], "rounds": [g["rounds"][r] for r in sorted(g["rounds"])]}
            for g in sorted(found.values(), key=lambda g: g["number"])
        ]
        for index, found in by_step.items()
    }


def quadrant_balance_section(session: Session, lang: str, helped: list[str]) -> list[dict] | None:
    """For a card (manager) session: how the group's questions spread over the quadrants.

    Omitted when the session has no deck. ``helped`` holds the contributions
    the case bringer marked as helpful.
    """
    if not session.deck_id or not isinstance(session.cards, dict):
        return None
    from .cards import quadrant_balance

    deck = current_app.extensions.get("intervisie_decks", {}).get(session.deck_id)
    order = [q.id for q in deck.quadrants] if deck else []
    balance = quadrant_balance(session.cards.get("played", []), helped, order)
    rows = []
    for quadrant_id, counts in balance["group"].items():
        found = deck.quadrant(quadrant_id) if deck else None
        name = (found.names.get(lang) or found.names["nl"]) if found else quadrant_id
        rows.append({"quadrant": quadrant_id, "name": name, **counts})
    return rows


# --- writing -----------------------------------------------------------------------------


def _same(text: str) -> str:
    return text


def when_text(session: dict, lang: str) -> str:
    """The day, and the times if it ran, written out in ``lang`` ("29 november 2026, 14:05–15:30")."""
    locale = LOCALES[lang]
    when = format_date(date.fromisoformat(session["date"]), format="long", locale=locale)
    if session["started_at"]:
        # The stored times are already in the reader's zone: format them as they are.
        start = datetime.fromisoformat(session["started_at"]).replace(tzinfo=None)
        if session["ended_at"]:
            end = datetime.fromisoformat(session["ended_at"]).replace(tzinfo=None)
            when += ", " + format_interval(start, end, "Hm", locale=locale)
        else:
            when += ", " + format_time(start, format="short", locale=locale)
    return when


def long_date(iso_date: str, lang: str) -> str:
    return format_date(date.fromisoformat(iso_date), format="long", locale=LOCALES[i18n.pick(lang)])


def agreement_facts(agreed: dict | None, lang: str, esc) -> list[tuple[str, str]]:
    """The agreement as one fact line ("bevestigd door 5 personen, laatst om 14:02: Ayla, ..."), if asked."""
    if not agreed:
        return []
    text = label(lang, "agreement_confirmed", count=agreed["confirmed"])
    if agreed["last_at"]:
        last = datetime.fromisoformat(agreed["last_at"]).replace(tzinfo=None)
        text += label(lang, "agreement_last", time=format_time(last, format="short", locale=LOCALES[lang]))
    if agreed.get("names"):
        text += ": " + ", ".join(esc(name) for name in agreed["names"])
    return [(label(lang, "agreement"), text)]


def blocks(record: dict, esc=_same) -> list[tuple]:
    """The record as a neutral list of layout blocks that both Markdown and PDF render.

    Every text that comes from people or from data (contributions, names, the
    title, action details, method, step and quadrant names) passes through
    ``esc``, so a format can make it print as written; our own labels do not.
    """
    lang = record["lang"]
    s = record["session"]
    out: list[tuple] = [("title", label(lang, "title"))]
    if s["title"]:
        out.append(("subtitle", esc(s["title"])))
    duration = label(lang, "minutes_planned", planned=s["planned_minutes"])
    if s["actual_minutes"] is not None:
        duration = label(lang, "minutes_actual", actual=s["actual_minutes"]) + " (" + duration + ")"
    out.append(
        (
            "facts",
            [
                (label(lang, "method"), esc(s["method"]["name"])),
                (label(lang, "date"), when_text(s, lang)),
                (label(lang, "duration"), duration),
                (label(lang, "names"), label(lang, "names_yes" if record["names_included"] else "names_no")),
                *agreement_facts(s.get("agreement"), lang, esc),
            ],
        )
    )
    out.append(("note", label(lang, "confidential")))
    # With breakout groups there is no session case nor case bringer: each round's client brought
    # their own, and the rounds keep it with what they took away.
    in_groups = any("groups" in step for step in record["steps"])
    if not in_groups:
        out.append(("heading", label(lang, "case")))
        case = record["case"]
        if case.get("author"):
            out.append(("note", label(lang, "case_by", name=esc(case["author"]))))
        out.append(("text", esc(case["text"]) if case["text"] else label(lang, "empty")))
        if case["edited"]:
            out.append(("note", label(lang, "case_edited")))

    out.append(("heading", label(lang, "steps")))
    for step in record["steps"]:
        out.append(("subheading", f"{step['index'] + 1}. {esc(step['name'])}"))
        timing = label(lang, "step_planned", planned=step["planned_minutes"])
        if step["actual_minutes"] is not None:
            timing += " · " + label(lang, "step_actual", actual=step["actual_minutes"])
        if "open_questions" in step:
            timing += " · " + label(lang, "open_questions", **step["open_questions"])
        out.append(("note", timing))
        for c in step["contributions"]:
            replies = [_line(lang, a, esc) for a in c.get("answers", [])]
            if "answers" in c and not replies:
                replies = [label(lang, "unanswered")]
            out.append(("item", _line(lang, c, esc), replies))
        for group in step.get("groups", []):
            for r in group["rounds"]:
                heading = label(lang, "group_round", number=group["number"], round=r["round"])
                if r.get("client"):
                    heading += label(lang, "group_client", name=esc(r["client"]))
                out.append(("note", heading))
                if r.get("left_out"):
                    out.append(("note", label(lang, "group_left_out")))
                for c in r["contributions"]:
                    out.append(("item", _line(lang, c, esc), []))

    sections = (
        *([] if in_groups else [("takeaways", record["takeaways"])]),
        ("actions", record["actions"]),
        ("learned", record["learned"]),
    )
    for key, items in sections:
        out.append(("heading", label(lang, key)))
        if not items:
            out.append(("note", label(lang, "none")))
        for c in items:
            extra = [f"{label(lang, 'action_' + k)}: {esc(c[k])}" for k in ACTION_FIELDS if c.get(k)]
            out.append(("item", _by(esc(c["text"]), esc(c["author"]) if c.get("author") else None), extra))

    if record.get("quadrant_balance"):
        out.append(("heading", label(lang, "quadrant_balance")))
        for row in record["quadrant_balance"]:
            out.append(("item", label(lang, "quadrant_line", **{**row, "name": esc(row["name"])}), []))
    return out


def _by(text: str, author: str | None) -> str:
    return f"{author}: {text}" if author else text


def _line(lang: str, c: dict, esc=_same) -> str:
    """One contribution: its kind, text, author if chosen, and the case bringer's marks."""
    kind = label(lang, "kind." + c["kind"])
    text = esc(c["text"])
    author = esc(c["author"]) if c.get("author") else None
    if author and c.get("entered_by"):
        author += ", " + label(lang, "entered_by", name=esc(c["entered_by"]))
    text = f"{kind} ({author}): {text}" if author else f"{kind}: {text}"
    if c.get("marks"):
        text += " [" + ", ".join(label(lang, "mark." + m) for m in c["marks"]) + "]"
    return text


def to_json(record: dict) -> bytes:
    """The record as is: JSON escapes what it must, and the record holds valid Unicode only."""
    return json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")


# --- Markdown ----------------------------------------------------------------------------

# Anywhere in a line: emphasis, code, links and images, raw HTML and autolinks, strikethrough,
# table cells, and a backslash that would escape what follows. "&" only where it starts an
# entity (&amp; &#233;): elsewhere it prints as typed.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])|&(?=#?[0-9A-Za-z]+;)")
# At the start of a line (after any indentation): headings, lists, setext underlines, and ordered lists.
_MD_LINE_START = re.compile(r"^([#+=-])|^(\d{1,9})([.)])")


def md_escape(text: str) -> str:
    """User text that a Markdown reader shows as written, and that reads as plain text too.

    Every character that could make structure is backslash-escaped (CommonMark
    lets any ASCII punctuation be escaped): ``## Acties`` on a line of its own
    stays text, ``<b>`` stays text. Leading spaces become no-break spaces, so
    indentation cannot turn text into a code block.
    """
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)].replace("\t", "    ").replace(" ", "\u00a0")
        body = _MD_INLINE.sub(lambda m: "\\" + m.group(0), body)
        body = _MD_LINE_START.sub(
            lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), body
        )
        lines.append(indent + body)
    return "\n".join(lines)


def to_markdown(record: dict) -> bytes:
    """Markdown that reads as plain text too: no tables, no HTML, and user text escaped."""
    lines: list[str] = []
    previous = None
    for block in blocks(record, md_escape):
        kind, value = block[0], block[1]
        if lines and not (kind == previous == "item"):
            lines.append("")
        previous = kind
        if kind == "title":
            lines.append(f"# {value}")
        elif kind == "facts":
            lines += [f"- {name}: {' '.join(text.split())}" for name, text in value]
        elif kind == "heading":
            lines.append(f"## {value}")
        elif kind == "subheading":
            lines.append(f"### {' '.join(value.split())}")
        elif kind == "note":
            lines.append(f"_{' '.join(value.split())}_")
        elif kind == "item":
            # Two trailing spaces keep a line break inside a paragraph or list item.
            parts = [line for part in [value, *block[2]] for line in part.split("\n")]
            lines.append("- " + "  \n  ".join(parts))
        else:
            lines.append("  \n".join(value.split("\n")))
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- PDF ---------------------------------------------------------------------------------


def _printable(text: str, covered: frozenset[int]) -> str:
    """``text`` with every character a bundled font has; any other shows as PLACEHOLDER.

    Invisible characters (joiners, variation selectors, other format and
    control characters) are left out, odd spaces become plain ones, and
    paragraph or line separators become line breaks.
    """
    if covered.issuperset(map(ord, text.replace("\n", ""))):
        return text
    out = []
    for char in text:
        if char == "\n" or ord(char) in covered:
            out.append(char)
            continue
        category = unicodedata.category(char)
        if category == "Zs" or char == "\t":
            out.append(" ")
        elif category in ("Zl", "Zp"):
            out.append("\n")
        elif category not in ("Cf", "Cc"):
            out.append(PLACEHOLDER)
    return "".join(out)


def to_pdf(record: dict) -> bytes:
    """A printable A4 record in DejaVu Sans, embedded so ë, é, ï and € print as typed, emoji in Noto Emoji."""
    lang = record["lang"]

    class RecordPDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.set_text_color(110)
            self.cell(0, 5, label(lang, "page", page=self.page_no(), pages=TOTAL_PAGES), align="C")

    pdf = RecordPDF(format="A4")
    pdf.alias_nb_pages(TOTAL_PAGES)  # not fpdf2's "{nb}", which people may type
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("DejaVu", "", os.path.join(FONT_DIR, "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"))
    pdf.add_font("NotoEmoji", "", os.path.join(FONT_DIR, "NotoEmoji-Regular.ttf"))
    regular, bold = frozenset(pdf.fonts["dejavu"].cmap), frozenset(pdf.fonts["dejavuB"].cmap)
    covered = regular | bold | frozenset(pdf.fonts["notoemoji"].cmap)
    pdf.set_title(label(lang, "title"))
    pdf.set_lang(lang)
    pdf.set_creator("Intervisie")
    pdf.add_page()
    down = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    def fit(text: str, style: str = "") -> str:
        """Text ready to print in the current font: fallback fonts only where the text needs them."""
        text = _printable(text, covered)
        own = bold if "B" in style else regular
        # The fallback path lays out character by character: several times slower, so only when needed.
        pdf.set_fallback_fonts(
            [] if own.issuperset(map(ord, text.replace("\n", ""))) else ["DejaVu", "NotoEmoji"],
            exact_match=False,
        )
        return text

    def paragraph(width: float, height: float, text: str, style: str = ""):
        pdf.multi_cell(width, height, fit(text, style), align="L", **down)

    def write(text: str, size: float, style: str = "", gap: float = 1.5, colour: int = 0, indent: float = 0):
        pdf.set_font("DejaVu", style, size)
        pdf.set_text_color(colour)
        pdf.set_x(pdf.l_margin + indent)
        paragraph(pdf.epw - indent, size * 0.5, text, style)
        pdf.ln(gap)

    for block in blocks(record):
        kind, value = block[0], block[1]
        if kind == "title":
            write(value, 18, "B", 2)
        elif kind == "subtitle":
            write(value, 12, gap=3)
        elif kind == "facts":
            for name, text in value:
                pdf.set_font("DejaVu", "B", 10)
                pdf.set_text_color(0)
                pdf.cell(34, 5.5, fit(name, "B"))
                pdf.set_font("DejaVu", "", 10)
                paragraph(pdf.epw - 34, 5.5, text)
            pdf.ln(3)
        elif kind == "heading":
            if pdf.get_y() > pdf.page_break_trigger - 30:
                pdf.add_page()  # keep a heading with what follows it
            pdf.ln(2)
            write(value, 13, "B", 0.5)
            pdf.set_draw_color(180)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
            pdf.ln(2.5)
        elif kind == "subheading":
            if pdf.get_y() > pdf.page_break_trigger - 20:
                pdf.add_page()
            pdf.ln(1.5)
            write(value, 11, "B", 0.5)
        elif kind == "note":
            write(value, 9, gap=2, colour=100)
        elif kind == "text":
            write(value, 10, gap=2)
        elif kind == "item":
            pdf.set_font("DejaVu", "", 10)
            pdf.set_text_color(0)
            pdf.set_fallback_fonts([])
            pdf.cell(5, 5, "•")
            paragraph(pdf.epw - 5, 5, "\n".join([value, *block[2]]))
            pdf.ln(1)
    pdf.set_fallback_fonts([])  # the footer of the last page is written at output
    return bytes(pdf.output())
