#!/usr/bin/env bash
# Install Debian's Chromium for the dashboard's browser tests
# (tests/python/test_dashboard.py drives it headless). Idempotent: does
# nothing when a chromium is already on PATH. Needs root (or sudo).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium already installed: $(chromium --version 2>/dev/null || echo unknown version)"
    exit 0
fi

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "install-chromium: need root (or sudo) to run apt-get" >&2
        exit 1
    fi
}

command -v apt-get >/dev/null 2>&1 || {
    echo "install-chromium: no apt-get: install Chromium yourself and put it on PATH" \
        "(or point CA_CHROMIUM at it)" >&2
    exit 1
}

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq chromium >/dev/null
echo "installed $(chromium --version)"
