"""Intervisie: live, step-by-step peer intervision sessions in the browser.

The app factory lives in ``intervisie.app`` rather than here so that the entry
point can read the config and monkey-patch for eventlet before Flask,
Socket.IO or SQLAlchemy are imported.
"""
