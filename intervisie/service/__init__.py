"""Carry out what people do in a session: load it, ask the rules, persist, say what to send.

The public interface, by concern:

- ``joining``: creating a session, joining, coming back, screens, the
  facilitator link, roles, presence and language;
- ``contributions``: adding, marking and hiding contributions;
- ``steps``: the facilitator's step, timer and turn controls, readiness, time's up, waiting
  for a key person who is away, the shared screen's spotlight;
- ``signals``: the case bringer's private signal to the facilitator;
- ``case_round``: voting for a pitched case, the facilitator's choice, the chosen case bringer;
- ``writing``: reading a text while it is written (the question coach, the privacy guard);
- ``cards``: question cards (dealing, playing, drawing);
- ``breakouts`` (with ``groups``, which reads them): breakout groups with their own rounds, phases and
  timers;
- ``views``: what each viewer sees (state, snapshot, one contribution);
- ``base``: the ``Outcome`` of an action and what every module shares.

Imports run one way: base <- groups <- views <- breakouts <- contributions <- cards <- steps <- signals,
joining <- case_round.
Every action commits its change before it returns an ``Outcome``, so nothing
is acknowledged or broadcast that is not already stored.
"""

from .base import Emit, Outcome, digest, method_of, methods, room_all
from .breakouts import move_on
from .cards import deal, draw, focus, play, reshuffle
from .case_round import choose, vote
from .contributions import add_contribution, hide, mark
from .joining import (
    assign_role,
    chosen_method,
    claim_facilitator,
    create_session,
    disconnect,
    heartbeat,
    join,
    presence_state,
    record_consent,
    remove_participant,
    resume,
    set_language,
    take_over,
    watch,
)
from .signals import clear_signal, send_signal
from .steps import (
    control_timer,
    end,
    expire_due_timers,
    go_on,
    go_to_step,
    loop_back,
    next_turn,
    reveal,
    set_ready,
    settings,
    show_on_screen,
    start,
)
from .views import deck_of, deck_summaries, decks, sealed_step, snapshot, state_view
from .writing import check_writing

__all__ = [
    "Emit",
    "Outcome",
    "add_contribution",
    "assign_role",
    "check_writing",
    "choose",
    "chosen_method",
    "clear_signal",
    "claim_facilitator",
    "control_timer",
    "create_session",
    "deal",
    "deck_of",
    "deck_summaries",
    "decks",
    "digest",
    "disconnect",
    "draw",
    "end",
    "expire_due_timers",
    "focus",
    "go_on",
    "go_to_step",
    "heartbeat",
    "hide",
    "join",
    "loop_back",
    "mark",
    "move_on",
    "method_of",
    "methods",
    "next_turn",
    "play",
    "presence_state",
    "record_consent",
    "remove_participant",
    "reshuffle",
    "reveal",
    "resume",
    "send_signal",
    "room_all",
    "set_language",
    "set_ready",
    "sealed_step",
    "settings",
    "show_on_screen",
    "snapshot",
    "start",
    "state_view",
    "take_over",
    "vote",
    "watch",
]
