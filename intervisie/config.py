"""Settings read from the environment, with defaults that need nothing installed."""

import os


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


class Config:
    """Defaults for a single embedded server: SQLite in the instance folder, eventlet."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means: a SQLite file in the instance folder (set in create_app).
    DATABASE_URL = os.environ.get("DATABASE_URL")
    # "eventlet" (default) or "threading": the only line to change to switch modes.
    ASYNC_MODE = os.environ.get("INTERVISIE_ASYNC_MODE", "eventlet")
    # Redis URL for several server processes; None for one process.
    MESSAGE_QUEUE = os.environ.get("INTERVISIE_MESSAGE_QUEUE") or None
    # PostgreSQL connections one process keeps open, and how many more it may open at a peak. With N
    # processes, N x (pool + overflow) must stay under the server's max_connections (docs/deploy.md).
    DB_POOL_SIZE = int(_number("INTERVISIE_DB_POOL_SIZE", 10))
    DB_MAX_OVERFLOW = int(_number("INTERVISIE_DB_MAX_OVERFLOW", 20))
    METHODS_DIR = os.environ.get("INTERVISIE_METHODS_DIR")
    AUTO_MIGRATE = _flag("INTERVISIE_AUTO_MIGRATE", True)
    # Behind a reverse proxy: trust its X-Forwarded-* headers, so links and QR codes carry the public address.
    BEHIND_PROXY = _flag("INTERVISIE_BEHIND_PROXY", False)
    # Background work (timer watch, presence sweeps); tests drive it by hand.
    BACKGROUND_TASKS = _flag("INTERVISIE_BACKGROUND_TASKS", True)
    # The privacy guard: a worker process started with the server (about 1 GB of memory once loaded).
    PRIVACY_GUARD = _flag("INTERVISIE_PRIVACY_GUARD", True)
    TIMER_POLL_SECONDS = float(os.environ.get("INTERVISIE_TIMER_POLL_SECONDS", "0.25"))
    # How long a dropped participant still shows as present.
    PRESENCE_GRACE_SECONDS = float(os.environ.get("INTERVISIE_PRESENCE_GRACE_SECONDS", "8"))
    # A connection row not refreshed for this long belongs to a dead process.
    CONNECTION_STALE_SECONDS = float(os.environ.get("INTERVISIE_CONNECTION_STALE_SECONDS", "90"))
    RETENTION_DAYS = int(os.environ.get("INTERVISIE_RETENTION_DAYS", "30"))
    # Expired sessions are purged at start-up and then every so many seconds.
    PURGE_ON_START = _flag("INTERVISIE_PURGE_ON_START", True)
    PURGE_INTERVAL_SECONDS = float(os.environ.get("INTERVISIE_PURGE_INTERVAL_SECONDS", "3600"))
    # Dates and times in the session record, for people who do not say otherwise.
    TIMEZONE = os.environ.get("INTERVISIE_TIMEZONE", "Europe/Amsterdam")
    # Sessions never started are removed after this many days of no activity.
    IDLE_SESSION_DAYS = int(os.environ.get("INTERVISIE_IDLE_SESSION_DAYS", "14"))
    MAX_TEXT_LENGTH = 2000
    MAX_NAME_LENGTH = 40
    # Each of an action's details (who, by when, how you will know it worked).
    MAX_DETAIL_LENGTH = 200
    # Largest Socket.IO message accepted, in bytes, however it is framed: the largest valid payload in
    # its worst encoding. A client whose JSON escapes everything but ASCII sends an emoji as a surrogate
    # pair, "\ud83d\ude00": 12 bytes per character. contribution:add with an action is the largest:
    #   text      2,000 characters x 12 bytes           = 24,000
    #   details   3 x 200 characters x 12 bytes         =  7,200
    #   envelope  42<ack id>["contribution:add",{...}]  ~    300 (keys, client_id of 64, kind); 1,024 kept
    #   total                                             32,224 bytes
    MAX_MESSAGE_BYTES = (MAX_TEXT_LENGTH + 3 * MAX_DETAIL_LENGTH) * 12 + 1024
    # Limits (intervisie/limits.py): no single client, address or session takes more than its share.
    # Per connection: Socket.IO packets a second, and the burst allowed above that.
    EVENTS_PER_SECOND = _number("INTERVISIE_EVENTS_PER_SECOND", 10)
    EVENT_BURST = _number("INTERVISIE_EVENT_BURST", 30)
    # Refusals (beyond what time wears off) after which a connection is disconnected.
    FLOOD_STRIKES = _number("INTERVISIE_FLOOD_STRIKES", 90)
    # Connections of one address disconnected for flooding, after which it opens no new ones for a while.
    FLOOD_CUTS_PER_ADDRESS_PER_MINUTE = _number("INTERVISIE_FLOOD_CUTS_PER_ADDRESS_PER_MINUTE", 3)
    # Per address (one NAT may hold a whole school: several rooms of 8, each with a screen and reloads).
    CONNECTIONS_PER_ADDRESS = _number("INTERVISIE_CONNECTIONS_PER_ADDRESS", 100)
    ADDRESS_EVENTS_PER_SECOND = _number("INTERVISIE_ADDRESS_EVENTS_PER_SECOND", 40)
    ADDRESS_EVENT_BURST = _number("INTERVISIE_ADDRESS_EVENT_BURST", 300)
    # Join codes looked up (session:join/watch/claim/resume, and any HTTP path with a code) a minute.
    LOOKUPS_PER_ADDRESS_PER_MINUTE = _number("INTERVISIE_LOOKUPS_PER_ADDRESS_PER_MINUTE", 120)
    # Sessions one address may create a minute (a trainer preparing a day needs a handful).
    CREATIONS_PER_ADDRESS_PER_MINUTE = _number("INTERVISIE_CREATIONS_PER_ADDRESS_PER_MINUTE", 20)
    # Entries (join/watch/claim/resume) one connection makes a minute: each builds a whole snapshot,
    # and a browser enters once per connection (again after a role hand-over).
    ENTRIES_PER_CONNECTION_PER_MINUTE = _number("INTERVISIE_ENTRIES_PER_CONNECTION_PER_MINUTE", 12)
    # Texts read while being written (writing:check: the question coach, the privacy guard) one
    # connection asks a minute: the writing area asks after each pause in typing.
    WRITING_CHECKS_PER_CONNECTION_PER_MINUTE = _number(
        "INTERVISIE_WRITING_CHECKS_PER_CONNECTION_PER_MINUTE", 60
    )
    # Contributions one session holds at most: a real session has a few hundred at most, and this
    # bounds the size of every snapshot (at most about 1 MB).
    MAX_CONTRIBUTIONS_PER_SESSION = _number("INTERVISIE_MAX_CONTRIBUTIONS_PER_SESSION", 500)
    # Per session: everyone in it together, so one busy session cannot starve the others.
    SESSION_EVENTS_PER_SECOND = _number("INTERVISIE_SESSION_EVENTS_PER_SECOND", 30)
    SESSION_EVENT_BURST = _number("INTERVISIE_SESSION_EVENT_BURST", 100)
    # Back-pressure: while this process's event loop runs more than this many milliseconds behind,
    # new work (every event but entering a session) is refused as ``busy`` and clients retry later.
    # 0 turns it off.
    BUSY_LAG_MS = _number("INTERVISIE_BUSY_LAG_MS", 50)
    # Scripts and styles go compressed (a phone's first load); pages do not, so nothing secret in a page
    # can be guessed from its compressed length (BREACH).
    COMPRESS_MIMETYPES = ["text/css", "text/javascript", "application/javascript", "image/svg+xml"]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    DEFAULT_LANGUAGE = "nl"
    LANGUAGES = ("nl", "en")
