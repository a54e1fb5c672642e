"""The rules of a live intervision session, as plain functions and values.

No Flask, no sockets, no database: the event handlers ask these functions
whether something is allowed and what the new state is, and tests can drive
every rule directly. A refusal is a ``RuleViolation`` carrying an error code
that the caller turns into a message in the user's language.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace

from . import coach
from .methods import NOTE_KIND, REPLIES_TO, Method, Step, scale_of

# No 0/O, 1/I/l: a code read off a projector must not be ambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
STATUSES = ("lobby", "running", "ended")


class RuleViolation(Exception):
    """An action the rules do not allow; ``code`` names the reason for the user."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """Accept what people type: lower case, spaces and dashes."""
    return re.sub(r"[\s-]", "", raw).upper()


# Unicode's Default_Ignorable_Code_Point ranges: characters that show nothing (zero-width
# spaces, joiners, variation selectors, Hangul fillers, tags...). A name made of them would
# look empty, and one with them added would look like someone else's.
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Of those, the ones emoji are built with (👩‍⚕️, ❤️, the flag of England): kept in contributions.
_EMOJI_PARTS = ((0x200D, 0x200D), (0xFE00, 0xFE0F), (0xE0020, 0xE007F), (0xE0100, 0xE01EF))
# Shows as a blank though it is a symbol.
_BLANK_SYMBOLS = {"\u2800"}


def _within(ch: str, ranges) -> bool:
    point = ord(ch)
    return any(low <= point <= high for low, high in ranges)


def _kept(ch: str, multi_line: bool) -> bool:
    """Whether ``ch`` stays in a stored text: no controls, bidi overrides or invisible characters.

    Unassigned code points stay: they are most likely emoji newer than this
    Python's Unicode tables (🫨 is one in Unicode 14).
    """
    if ch in "\n\t":
        return multi_line
    if _within(ch, _IGNORABLE):
        return multi_line and _within(ch, _EMOJI_PARTS)
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs")


def _shows_something(text: str) -> bool:
    """Whether any character of ``text`` is seen: a letter, digit, mark on a base, punctuation or symbol."""
    return any(
        ch not in _BLANK_SYMBOLS
        and not _within(ch, _IGNORABLE)
        and unicodedata.category(ch)[0] not in ("Z", "M", "C")
        or unicodedata.category(ch) in ("Cn", "Co")
        for ch in text
    )


def clean_text(value, max_length: int, *, required: bool = True, single_line: bool = False) -> str:
    """A user's text as stored: NFC, without controls, bidi overrides or invisible characters, trimmed.

    Refuses what is not text or not valid Unicode (a lone UTF-16 surrogate) with
    ``bad_request``, an empty text with ``empty`` and one over ``max_length``
    characters with ``too_long``. Multi-line texts keep their line breaks and
    tabs; ``single_line`` texts (names, titles) turn every run of white space
    into one space.
    """
    if not isinstance(value, str):
        raise RuleViolation("bad_request")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RuleViolation("bad_request") from None
    text = unicodedata.normalize("NFC", value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    if text.isascii() and text.replace("\n", "").replace("\t", "").isprintable():
        # Plain ASCII (most texts): nothing to take out, and only spaces show nothing; no per-character work.
        text = " ".join(text.split()) if single_line else text.strip()
    elif single_line:
        text = " ".join(
            "".join(ch for ch in text.replace("\n", " ").replace("\t", " ") if _kept(ch, False)).split()
        )
    else:
        text = "".join(ch for ch in text if _kept(ch, True)).strip()
    if not text.isascii() and not _shows_something(text):
        text = ""  # only blanks, fillers or lone combining marks: nothing anyone could read
    if len(text) > max_length:
        raise RuleViolation("too_long", max=max_length)
    if required and not text:
        raise RuleViolation("empty")
    return text


def name_key(name: str) -> str:
    """How names are compared: compatibility-normalised and casefolded ("ZOË", "zoë" and "Zoë" are one)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


# --- roles -------------------------------------------------------------------------------


def require_facilitator(role: str) -> None:
    if role != "facilitator":
        raise RuleViolation("forbidden_role")


def require_status(status: str, *allowed: str) -> None:
    if status not in allowed:
        raise RuleViolation({"lobby": "not_started", "ended": "session_ended"}.get(status, "wrong_state"))


# --- steps -------------------------------------------------------------------------------


def target_step(current: int, target, step_count: int) -> int:
    """Where 'next', 'prev' or a step number leads; refuses anything out of range."""
    if target == "next":
        index = current + 1
    elif target == "prev":
        index = current - 1
    elif isinstance(target, int) and not isinstance(target, bool):
        index = target
    else:
        raise RuleViolation("bad_request")
    if not 0 <= index < step_count:
        raise RuleViolation("no_such_step")
    return index


def check_advance(ready: int, total: int, unmarked: bool, confirmed, busy_groups: int = 0) -> None:
    """Ask once before moving on to the next step when that may be too early.

    Too early: fewer than half of the ``total`` who can say they are done are
    ``ready``, or ``unmarked``: the case bringer has marked nothing yet in a
    step where they mark, or ``busy_groups`` breakout groups have not finished
    their rounds. ``confirmed`` (the facilitator said "go on anyway")
    lets it through; a refusal's code starts with ``confirm_``.
    """
    if not isinstance(confirmed, bool):
        raise RuleViolation("bad_request")
    if confirmed:
        return
    if busy_groups:
        raise RuleViolation("confirm_groups_busy", count=busy_groups)
    if total and ready * 2 < total:
        raise RuleViolation("confirm_few_ready", ready=ready, total=total)
    if unmarked:
        raise RuleViolation("confirm_unmarked")


def step_minutes(step: Step, overrides: dict) -> int:
    return int(overrides.get(step.id, step.minutes))


def check_step_minutes(method: Method, overrides) -> dict[str, int]:
    """Validate per-step minute overrides chosen when creating a session."""
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise RuleViolation("bad_request")
    known = {s.id for s in method.steps}
    result = {}
    for step_id, minutes in overrides.items():
        if step_id not in known:
            raise RuleViolation("no_such_step")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 180:
            raise RuleViolation("bad_minutes")
        result[step_id] = minutes
    return result


# --- contributions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Contributor:
    """Who is acting, as the rules need to know them."""

    id: str
    role: str


def check_contribution(
    step: Step,
    status: str,
    who: Contributor,
    kind,
    text: str,
    own_count: int,
    current_speaker: str | None = None,
) -> str | None:
    """Refuse a contribution the step does not allow; return a flag for the author, if any.

    ``own_count`` is how many this person already added in this step (of the kind
    a per-person cap counts). ``current_speaker`` is the participant whose turn it
    is in a turn-order step, or None when no round is under way.
    """
    require_status(status, "running")
    if not isinstance(kind, str):
        raise RuleViolation("bad_request")
    if step.rule("stillness"):
        raise RuleViolation("stillness")
    turned_away = who.role == "case_bringer" and step.rule("case_bringer_turned_away") is not None
    if kind == NOTE_KIND:
        # Notes are the turned-away case bringer's alone; nobody else writes them, nor anywhere else.
        if not turned_away:
            raise RuleViolation("wrong_step")
        return None
    if turned_away:
        raise RuleViolation("turned_away")
    if who.role == "case_bringer" and step.rule("case_bringer_listens"):
        raise RuleViolation("case_bringer_listens")
    if kind not in step.contribute:
        raise RuleViolation("wrong_step")
    if who.role not in step.contribute[kind]:
        raise RuleViolation("forbidden_role")
    turn = step.rule("turn_order")
    if turn and current_speaker is not None and who.role in turn.roles and who.id != current_speaker:
        raise RuleViolation("not_your_turn")
    for cap in step.rules_of("max_per_person"):
        if cap.kind in (None, kind) and own_count >= cap.count:
            raise RuleViolation("limit_reached", max=cap.count)
    if kind == "case_proposal" and len(text) > PITCH_MAX_LENGTH:
        raise RuleViolation("pitch_too_long", max=PITCH_MAX_LENGTH)
    if kind == "question" and step.rule("open_questions"):
        label = coach.check(text).label  # a nudge for the author, never a refusal
        return None if label == "open" else f"{label}_question"
    return None


# A case is pitched in one to three sentences: about this many characters.
PITCH_MAX_LENGTH = 400


def cap_kind(step: Step, kind: str) -> str | None:
    """Which kind a per-person cap counts for ``kind`` (None: all kinds of the step)."""
    for cap in step.rules_of("max_per_person"):
        if cap.kind in (None, kind):
            return cap.kind
    return kind


def check_mark(
    step: Step, status: str, role: str, contribution_kind: str, value, on, marks_given: int
) -> str:
    """Refuse a mark (warm/neutral/cold, appeals, a vote, keep) the current step does not allow.

    ``on`` false takes the mark away. ``marks_given`` is how many marks of this
    scale this person already gave in the step, for rules with a count (votes).
    Returns the scale the mark belongs to.
    """
    require_status(status, "running")
    if not isinstance(value, str) or not isinstance(on, bool):
        raise RuleViolation("bad_request")
    rule = next(
        (r for r in step.rules_of("marks") if r.kind == contribution_kind and value in r.values),
        None,
    )
    if rule is None:
        if any(r.kind == contribution_kind for r in step.rules_of("marks")):
            raise RuleViolation("bad_mark")
        raise RuleViolation("wrong_step")
    if role not in rule.by:
        raise RuleViolation("forbidden_role")
    if on and rule.count is not None and marks_given >= rule.count:
        raise RuleViolation("limit_reached", max=rule.count)
    return scale_of(value)


ACTION_FIELDS = ("who", "when", "measure")


def clean_details(kind: str, details, max_length: int) -> dict | None:
    """The structured parts of an action (who, by when, how we know it worked); nothing for other kinds."""
    if details is None:
        return None
    if kind != "action" or not isinstance(details, dict) or set(details) - set(ACTION_FIELDS):
        raise RuleViolation("bad_request")
    cleaned = {name: clean_text(details.get(name, ""), max_length, required=False) for name in ACTION_FIELDS}
    return {name: text for name, text in cleaned.items() if text} or None


def answerable(step: Step, kind: str) -> bool:
    """Whether a contribution of ``kind`` written in ``step`` waits for answers: the step lets someone reply to it."""
    return any(replier in step.contribute for replier, target in REPLIES_TO.items() if target == kind)


def check_reply(kind: str, reply_to, target_kind: str | None) -> None:
    """Refuse a reply that does not name what it replies to, or names something else.

    ``reply_to`` is the id the author sent; ``target_kind`` is the kind of the
    contribution with that id when the author may see it (not hidden, in this
    session), else None. Only kinds in ``REPLIES_TO`` reply to anything.
    """
    wanted = REPLIES_TO.get(kind)
    if wanted is None or reply_to is None:
        if reply_to is not None:
            raise RuleViolation("bad_request")
        if wanted is not None:
            raise RuleViolation("answer_needs_question")
        return
    if not isinstance(reply_to, str):
        raise RuleViolation("bad_request")
    if target_kind is None:
        raise RuleViolation("unknown_question")
    if target_kind != wanted:
        raise RuleViolation("not_a_question")


def own_only(kind: str, sealed: bool) -> bool:
    """Whether only the author may read a contribution: a note, or writing not yet revealed together."""
    return kind == NOTE_KIND or sealed


def visible_to(
    *,
    hidden: bool,
    author_id: str | None,
    contribution_step: int,
    private_step: bool,
    current_step: int,
    viewer_id: str | None,
    viewer_role: str,
    kind: str = "",
    sealed: bool = False,
) -> bool:
    """Whether a viewer may receive a contribution at all.

    A note, and writing in a 'reveal together' step that ``sealed`` says is not
    revealed yet, reach only the author: not even the facilitator. Hidden
    contributions reach only the facilitator. In a 'write privately' step,
    what people write reaches only its author and the facilitator until the
    group moves on.
    """
    if own_only(kind, sealed):
        return viewer_id is not None and viewer_id == author_id
    if viewer_role == "facilitator":
        return True
    if hidden:
        return False
    if private_step and contribution_step == current_step:
        return viewer_id is not None and viewer_id == author_id
    return True


def loop_target(method: Method, current: int, role: str) -> int:
    """Where the current step's ``loop_back`` rule leads, if ``role`` may choose it; the step's index."""
    rule = method.steps[current].rule("loop_back")
    if rule is None:
        raise RuleViolation("wrong_step")
    if role not in rule.by:
        raise RuleViolation("forbidden_role")
    return method.step_index(rule.to)


def opens_running(step: Step, auto_start_timer: bool) -> bool:
    """Whether a step's timer runs from the moment it opens: a stillness always does."""
    return auto_start_timer or step.rule("stillness") is not None


def moves_on_by_itself(step: Step, auto_advance: bool) -> bool:
    """Whether time's up opens the next step: a stillness ends by itself."""
    return auto_advance or step.rule("stillness") is not None


# --- the case round ----------------------------------------------------------------------


def needs_case_bringer(method: Method, index: int) -> bool:
    """Whether step ``index`` needs a case bringer: it does unless a case round is still to come (or is it),
    or the method has breakouts (each member is their own round's client; the method names no case bringer)."""
    if method.has_breakouts:
        return False
    return not any(s.rule("case_round") for s in method.steps[index:])


def filing_step(method: Method, status: str, step_index: int, kind, written_in=None) -> tuple[int, str]:
    """The step a new contribution of ``kind`` is filed in, and the status its rules are checked for.

    Normally the current step. A method with a case round takes pitches
    before its pitching step (the first step that takes ``case_proposal``)
    opens: each may prepare theirs via the join link before the start (issue
    10); after the start, one written for that step (``written_in``, sent
    from an offline outbox) still goes there. Such a pitch is filed in the
    pitching step and held to that step's rules as if it were open (its cap,
    its roles).
    """
    if kind == "case_proposal" and status in ("lobby", "running"):
        at = next((i for i, s in enumerate(method.steps) if "case_proposal" in s.contribute), None)
        early = at is not None and (status == "lobby" or (step_index < at and written_in == at))
        if early and any(s.rule("case_round") for s in method.steps):
            return at, "running"
    return step_index, status


def check_case_choice(step: Step, status: str, chosen: str | None, role: str, by_vote: bool) -> None:
    """Refuse a vote (``by_vote``) or the facilitator's choice in a case round that does not allow it.

    Everyone votes when the round's ``vote`` is ``hidden``; the facilitator
    decides in either kind of round (a tie, someone away). Once a case is
    ``chosen`` the round is closed (``case_chosen``).
    """
    require_status(status, "running")
    rule = step.rule("case_round")
    if rule is None:
        raise RuleViolation("wrong_step")
    if chosen is not None:
        raise RuleViolation("case_chosen")
    if not by_vote:
        require_facilitator(role)
    elif rule.vote != "hidden":
        raise RuleViolation("facilitator_decides")


def check_vote_open(votes: dict[str, str], voters: set[str], voter: str) -> None:
    """Refuse moving a vote once every voter has voted (``votes_final``): the tally is then shown to all,
    and a tie goes to the facilitator rather than to whoever changes their vote last."""
    if voter in votes and voters and voters <= votes.keys():
        raise RuleViolation("votes_final")


def vote_winner(votes: dict[str, str], voters: set[str]) -> str | None:
    """The pitch with the most votes once every one of ``voters`` voted (``votes``: voter id -> pitch id);
    None while someone has not voted or when the top is tied (the facilitator then decides)."""
    if not voters or not voters <= votes.keys():
        return None
    ranked = Counter(votes.values()).most_common(2)
    return ranked[0][0] if len(ranked) == 1 or ranked[0][1] > ranked[1][1] else None


# --- presence ----------------------------------------------------------------------------


def presence(connected: bool, left_at: float | None, now: float, grace: float) -> str:
    """'online', or 'away' once a dropped participant has been gone longer than ``grace``."""
    if connected:
        return "online"
    if left_at is not None and now - left_at < grace:
        return "online"
    return "away"


# --- the shared timer --------------------------------------------------------------------

TIMER_STATES = ("idle", "running", "paused", "expired")
MAX_TIMER_SECONDS = 3 * 3600


@dataclass(frozen=True)
class Timer:
    """A step's countdown, kept as a deadline so every screen can count down by itself.

    Running: ``deadline`` is the epoch second at which time is up. Idle or
    paused: ``remaining`` seconds are left. ``duration`` is what reset returns to.
    """

    state: str = "idle"
    duration: float = 0.0
    deadline: float | None = None
    remaining: float = 0.0

    @classmethod
    def fresh(cls, seconds: float) -> Timer:
        return cls(state="idle", duration=seconds, deadline=None, remaining=seconds)

    def remaining_at(self, now: float) -> float:
        if self.state == "running":
            return max(0.0, self.deadline - now)
        if self.state == "expired":
            return 0.0
        return self.remaining

    def is_due(self, now: float) -> bool:
        return self.state == "running" and self.deadline <= now

    def start(self, now: float) -> Timer:
        if self.state == "running":
            raise RuleViolation("timer_running")
        seconds = self.remaining if self.state in ("idle", "paused") and self.remaining > 0 else self.duration
        return replace(self, state="running", deadline=now + seconds, remaining=seconds)

    def pause(self, now: float) -> Timer:
        if self.state != "running":
            raise RuleViolation("timer_not_running")
        if self.is_due(now):
            return self.expire()
        return replace(self, state="paused", remaining=self.deadline - now, deadline=None)

    def resume(self, now: float) -> Timer:
        if self.state != "paused":
            raise RuleViolation("timer_not_paused")
        return replace(self, state="running", deadline=now + self.remaining)

    def add(self, seconds, now: float) -> Timer:
        """Add (or with a negative number, take off) time; an expired timer comes back to life."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not -3600 <= seconds <= 3600:
            raise RuleViolation("bad_request")
        if self.state == "running":
            left = min(max(0.0, self.deadline - now + seconds), MAX_TIMER_SECONDS)
            return replace(self, deadline=now + left)
        if self.state == "expired":
            left = min(max(0.0, seconds), MAX_TIMER_SECONDS)
            return replace(self, state="running", deadline=now + left, remaining=left)
        left = min(max(0.0, self.remaining + seconds), MAX_TIMER_SECONDS)
        return replace(self, remaining=left)

    def reset(self, seconds: float | None = None) -> Timer:
        return Timer.fresh(self.duration if seconds is None else seconds)

    def expire(self) -> Timer:
        return replace(self, state="expired", deadline=None, remaining=0.0)

    def control(self, action, now: float, seconds=None) -> Timer:
        """Apply a facilitator's timer action by name."""
        if action == "start":
            return self.start(now)
        if action == "pause":
            return self.pause(now)
        if action == "resume":
            return self.resume(now)
        if action == "add":
            return self.add(60 if seconds is None else seconds, now)
        if action == "reset":
            return self.reset()
        raise RuleViolation("bad_request")

    def view(self, now: float) -> dict:
        """What clients need to count down locally: times in epoch milliseconds."""
        return {
            "state": "expired" if self.is_due(now) else self.state,
            "duration_ms": round(self.duration * 1000),
            "deadline_ms": round(self.deadline * 1000) if self.state == "running" else None,
            "remaining_ms": round(self.remaining_at(now) * 1000),
            "server_now_ms": round(now * 1000),
        }


# --- turn order --------------------------------------------------------------------------


def turn_order(step: Step, people: list[Contributor]) -> list[str]:
    """The speakers of a round in a turn-order step: the roles it names, in joining order."""
    rule = step.rule("turn_order")
    if rule is None:
        raise RuleViolation("wrong_step")
    order = [p.id for p in people if p.role in rule.roles]
    if not order:
        raise RuleViolation("nobody_to_speak")
    return order
