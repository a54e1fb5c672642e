#!/usr/bin/env bash
# Fetch the pinned browser libraries into static/vendor/ (run once, then commit the files).
# Nothing is loaded from a CDN at run time: the app serves these copies itself.
set -euo pipefail

SOCKET_IO_CLIENT=4.8.4

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/static/vendor/socket.io"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "socket.io-client@$SOCKET_IO_CLIENT" >/dev/null)
tar -xzf "$tmp"/socket.io-client-*.tgz -C "$tmp"

mkdir -p "$dest"
cp "$tmp/package/dist/socket.io.esm.min.js" "$dest/"
cp "$tmp/package/dist/socket.io.esm.min.js.map" "$dest/" 2>/dev/null || true
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "socket.io-client $SOCKET_IO_CLIENT" >"$dest/VERSION"
echo "socket.io-client $SOCKET_IO_CLIENT -> ${dest#"$root"/}"
