"""Entry point. ``python wsgi.py`` serves Intervisie; WSGI servers import ``app`` from here.

This is the one place that knows about eventlet: it monkey-patches before
anything else is imported when the configured async mode asks for it.
"""

from intervisie.config import Config

if Config.ASYNC_MODE == "eventlet":
    import warnings

    # We know eventlet is in maintenance mode (docs/deploy.md); threading is one setting away.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()

from intervisie.cli import app_or_exit, serve  # noqa: E402

app = app_or_exit()

if __name__ == "__main__":
    serve(app)
