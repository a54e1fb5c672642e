"""Settings read from the environment, with defaults that need nothing installed."""

import os


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults for a single embedded server: SQLite in the instance folder, eventlet."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means: a SQLite file in the instance folder (set in create_app).
    DATABASE_URL = os.environ.get("DATABASE_URL")
    # "eventlet" (default) or "threading": the only line to change to switch modes.
    ASYNC_MODE = os.environ.get("INTERVISIE_ASYNC_MODE", "eventlet")
    # Redis URL for several server processes; None for one process.
    MESSAGE_QUEUE = os.environ.get("INTERVISIE_MESSAGE_QUEUE") or None
    METHODS_DIR = os.environ.get("INTERVISIE_METHODS_DIR")
    AUTO_MIGRATE = _flag("INTERVISIE_AUTO_MIGRATE", True)
    # Behind a reverse proxy: trust its X-Forwarded-* headers, so links and QR codes carry the public address.
    BEHIND_PROXY = _flag("INTERVISIE_BEHIND_PROXY", False)
    # Background work (timer watch, presence sweeps); tests drive it by hand.
    BACKGROUND_TASKS = _flag("INTERVISIE_BACKGROUND_TASKS", True)
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
    # Largest Socket.IO message accepted, in bytes: a contribution plus its envelope.
    MAX_MESSAGE_BYTES = 16 * 1024
    DEFAULT_LANGUAGE = "nl"
    LANGUAGES = ("nl", "en")
