"""The database tables. Times are UTC epoch seconds (floats), so timer maths is plain arithmetic."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Session(Base):
    """One intervision meeting: its method, where it is, and its shared timer."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    method_id: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(5), default="nl")
    status: Mapped[str] = mapped_column(String(16), default="lobby")  # lobby, running, ended
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    step_minutes: Mapped[dict] = mapped_column(JSON, default=dict)  # step id -> minutes
    facilitator_key_hash: Mapped[str] = mapped_column(String(64))
    screen_key_hash: Mapped[str] = mapped_column(String(64))
    joining_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_advance: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every step that opens starts its timer (on for new sessions; sessions from before 0003 keep it off).
    auto_start_timer: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every facilitator control: a control sent for an older value is stale (a double click).
    control: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    timer_state: Mapped[str] = mapped_column(String(16), default="idle")  # idle, running, paused, expired
    timer_duration: Mapped[float] = mapped_column(Float, default=0)
    timer_deadline: Mapped[float | None] = mapped_column(Float, nullable=True)
    timer_remaining: Mapped[float] = mapped_column(Float, default=0)
    turn_order: Mapped[list | None] = mapped_column(JSON, nullable=True)  # participant ids
    turn_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The session this one follows up on: its actions come back in "review last time".
    follow_up_of: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Actions carried over from an earlier session (or its JSON export), as recorded there.
    carried_actions: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # Card deck of a card method, and its state: draw pile, hands, focus quadrant.
    deck_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cards: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # The method and the deck as they were when the session was created: a changed, replaced or
    # removed file never breaks a session under way (its steps, rules and cards stay what they were).
    method: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    deck: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Indexes of the 'reveal together' steps whose writing the facilitator revealed (or that were left).
    revealed_steps: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # The case round (0009): each voter's pitch (participant id -> contribution id), hidden until all
    # voted; and the pitch chosen, whose author became the case bringer.
    case_votes: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    chosen_case_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The case text as the case bringer chose to record it (shortened or redacted).
    record_case: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The people in the room (0005). The timer was paused because the facilitator or the case
    # bringer is away; the away people the facilitator chose to go on without (ids).
    absence_paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    gone_on: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # The participant who may take over when the facilitator is away, and the facilitator they took over from.
    co_facilitator_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    stood_in_for: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The case bringer's latest private signal to the facilitator: {id, kind, by, at, paused}.
    signal: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # The shared screen: one contribution shown large, and the step's instructions.
    spotlight_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    screen_instructions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The group's confidentiality agreement (0007): everyone confirms it before joining, and the
    # record can be downloaded only after the case bringer's consent (when it was given).
    confidentiality: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    record_consent_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    participants: Mapped[list[Participant]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Participant.joined_at",
    )

    __table_args__ = (
        Index("ix_sessions_timer_due", "timer_state", "timer_deadline"),
        Index("ix_sessions_ended_at", "ended_at"),
    )


class Participant(Base):
    """A person in a session, known by a secret token kept in their browser."""

    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    # The name as compared: normalised and casefolded; unique among the people still in a session.
    name_key: Mapped[str] = mapped_column(String(160))
    role: Mapped[str] = mapped_column(String(16), default="participant")
    lang: Mapped[str] = mapped_column(String(5), default="nl")
    joined_at: Mapped[float] = mapped_column(Float)
    ready_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the last connection closed; None while connected or never connected.
    left_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # When they confirmed the confidentiality agreement (0007); None if not asked or not yet.
    agreed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # In a method with breakout groups: when they allowed their own round into the record (0011).
    consent_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    session: Mapped[Session] = relationship(back_populates="participants")

    __table_args__ = (
        Index(
            "uq_participants_name",
            "session_id",
            "name_key",
            unique=True,
            sqlite_where=text("removed = 0"),
            postgresql_where=text("NOT removed"),
        ),
        # At most one case bringer per session, whatever races the role changes.
        Index(
            "uq_participants_case_bringer",
            "session_id",
            unique=True,
            sqlite_where=text("role = 'case_bringer' AND removed = 0"),
            postgresql_where=text("role = 'case_bringer' AND NOT removed"),
        ),
    )


class Connection(Base):
    """A live Socket.IO connection, kept in the database so every server process sees presence."""

    __tablename__ = "connections"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), nullable=True, index=True
    )
    server_id: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[float] = mapped_column(Float)


class Contribution(Base):
    """Something a person added in a step: a question, a perspective, an action..."""

    __tablename__ = "contributions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), nullable=True
    )
    step_id: Mapped[str] = mapped_column(String(64))
    step_index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # e.g. "closed_question": a nudge shown to the author and the facilitator.
    flag: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Structured parts: an action's who/when/measure, the card a question was played from.
    details: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # The question an answer belongs to (see methods.REPLIES_TO); None for every other kind.
    reply_to: Mapped[str | None] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE", name="fk_contributions_reply_to"),
        nullable=True,
        index=True,
    )
    # Added by the facilitator for someone without a device: the name they gave, and who typed it.
    author_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    entered_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Written in a breakout group (0010): the group, and the round (from 0) whose client it was for.
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("breakout_groups.id", ondelete="CASCADE", name="fk_contributions_group_id"),
        nullable=True,
        index=True,
    )
    round: Mapped[int | None] = mapped_column(Integer, nullable=True)
    group: Mapped[BreakoutGroup | None] = relationship()

    __table_args__ = (
        UniqueConstraint("session_id", "client_id", name="uq_contributions_client_id"),
        Index("ix_contributions_session_created", "session_id", "created_at"),
    )


class Mark(Base):
    """One person's mark on a contribution on one scale: warm/neutral/cold, appeals, a vote, keep."""

    __tablename__ = "marks"

    contribution_id: Mapped[str] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    scale: Mapped[str] = mapped_column(String(16), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)


class StepVisit(Base):
    """When a step was open, for planned-versus-actual minutes."""

    __tablename__ = "step_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    step_index: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class BreakoutGroup(Base):
    """One breakout group of a step with the ``breakouts`` rule (0010): its members, where it is, its timer.

    ``round`` (from 0) says whose turn it is to be the client (``members[round]``),
    ``phase`` (from 0) which of the rule's phases the round is in.
    """

    __tablename__ = "breakout_groups"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    step_index: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... as people call their group
    members: Mapped[list] = mapped_column(JSON)  # participant ids, each one round's client in this order
    round: Mapped[int] = mapped_column(Integer, default=0)
    phase: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    timer_state: Mapped[str] = mapped_column(String(16), default="idle")
    timer_duration: Mapped[float] = mapped_column(Float, default=0)
    timer_deadline: Mapped[float | None] = mapped_column(Float, nullable=True)
    timer_remaining: Mapped[float] = mapped_column(Float, default=0)

    __table_args__ = (
        UniqueConstraint("session_id", "step_index", "number", name="uq_breakout_groups_number"),
        Index("ix_breakout_groups_timer_due", "timer_state", "timer_deadline"),
    )
