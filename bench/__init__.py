"""Load benchmarks for the live Socket.IO server (see bench/README.md)."""
