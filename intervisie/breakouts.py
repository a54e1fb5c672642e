"""The rules of breakout groups (a step's ``breakouts`` rule), as plain functions: no Flask, no database.

When a breakouts step opens, the people who take part (not the facilitator,
not a shared screen) are split into groups (``split``). Each group runs one
round per member, in the order of its members; that member is the round's
*client*, the others are its *consultants*. Every round passes through the
rule's phases, each with its own minutes and who writes what (``Phase``).
A group keeps its own position (round, phase) and its own timer; it moves on
when the phase's time is up or when the round's client or the facilitator
says so, and is done after the last phase of its last round.
"""

from __future__ import annotations

from collections.abc import Collection

from .methods import NOTE_KIND, Phase, Rule
from .session import Contributor, RuleViolation


def split(people: list[str], size: int) -> list[list[str]]:
    """Split ``people`` (in joining order) into groups of about ``size``, keeping that order.

    As many groups of ``size`` as fit; leftovers join those groups one each
    (a group of ``size + 1``) when there are no more leftovers than groups,
    else there is one group more and everyone is spread evenly. So every group
    has at least two members and at most ``size + 1``; fewer people than
    ``size`` make one group of whoever is there (none for nobody).
    """
    count = len(people)
    if not count:
        return []
    groups, left = divmod(count, size)
    if groups == 0:
        groups = 1
    elif left > groups:
        groups += 1
    base, extra = divmod(count, groups)
    result, at = [], 0
    for n in range(groups):
        take = base + (1 if n < extra else 0)
        result.append(people[at : at + take])
        at += take
    return result


def next_position(
    round_: int, phase: int, rounds: int, phases: int, skipped: Collection[int] = ()
) -> tuple[int, int] | None:
    """Where a group goes after phase ``phase`` of round ``round_`` (both from 0); None: it is done.

    Rounds in ``skipped`` (their client was removed) are passed over.
    """
    if phase + 1 < phases:
        return round_, phase + 1
    following = next_round(round_ + 1, rounds, skipped)
    return None if following is None else (following, 0)


def next_round(start: int, rounds: int, skipped: Collection[int] = ()) -> int | None:
    """The first round from ``start`` on that is still held (not in ``skipped``); None: none is left."""
    return next((r for r in range(start, rounds) if r not in skipped), None)


def skipped_rounds(members: list[str], gone: Collection[str]) -> set[int]:
    """The rounds of members who are ``gone`` (removed): the group holds them no more.

    ``members`` keeps everyone who was ever in the group, so a round's index
    keeps naming its client in the record.
    """
    return {r for r, member in enumerate(members) if member in gone}


def still_there(members: list[str], gone: Collection[str]) -> list[str]:
    """The members not ``gone``, in their order."""
    return [m for m in members if m not in gone]


def rounds_held(members: list[str], round_: int, gone: Collection[str]) -> int:
    """How many rounds a group at ``round_`` holds in all: those up to this one and those of members
    still there after it (a removed member's later round is skipped)."""
    return round_ + 1 + sum(1 for m in members[round_ + 1 :] if m not in gone)


def client_of(members: list[str], round_: int) -> str | None:
    """The round's client: its member in turn (None for a round past the members, a done group)."""
    return members[round_] if 0 <= round_ < len(members) else None


def check_group_writing(
    rule: Rule, members: list[str], round_: int, phase: int, done: bool, who: Contributor, kind
) -> None:
    """Refuse writing ``kind`` in a breakout group the person may not write now.

    ``members`` is the writer's group (empty when they are in none), at
    ``round_`` and ``phase``; ``done`` when it has finished its last round.
    Codes: ``not_in_group`` (the facilitator or someone in no group),
    ``group_done``, ``turned_away`` (the client, back turned, writes only notes),
    ``wrong_phase`` (not a kind this phase takes from you),
    ``forbidden_role`` (a kind this phase takes from the other part).
    """
    if not isinstance(kind, str):
        raise RuleViolation("bad_request")
    if who.role == "facilitator" or who.id not in members:
        raise RuleViolation("not_in_group")
    if done:
        raise RuleViolation("group_done")
    current: Phase = rule.phases[phase]
    is_client = client_of(members, round_) == who.id
    if kind == NOTE_KIND:
        # Notes are the turned-away client's alone, as in a step with case_bringer_turned_away.
        if not (is_client and current.turned_away):
            raise RuleViolation("wrong_phase")
        return
    if is_client and current.turned_away:
        raise RuleViolation("turned_away")
    mine, theirs = (
        (current.client, current.consultants) if is_client else (current.consultants, current.client)
    )
    if kind in mine:
        return
    raise RuleViolation("forbidden_role" if kind in theirs else "wrong_phase")


def check_move_on(who: Contributor, members: list[str], round_: int, done: bool) -> None:
    """Refuse moving a group to its next phase by anyone but the facilitator or the round's client."""
    if done:
        raise RuleViolation("group_done")
    if who.role != "facilitator" and client_of(members, round_) != who.id:
        raise RuleViolation("forbidden_role")


def sees_group(viewer_role: str, viewer_id: str | None, members: list[str]) -> bool:
    """Whether a viewer receives what a group writes: its members and the facilitator; not the screen."""
    return viewer_role == "facilitator" or (viewer_id is not None and viewer_id in members)


def smallest(groups: list[list[str]]) -> int:
    """The index of the group a late joiner goes to: the smallest, the first of equals."""
    return min(range(len(groups)), key=lambda i: len(groups[i]))
