#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium: the OAuth page's browser tests
# (tests/e2e/test_oauth_browser.py) drive it headless with the `playwright` package,
# launched with executable_path=/usr/bin/chromium, so Playwright never downloads a
# browser build of its own (this machine's network would refuse it anyway).
#
# Idempotent and quiet when /usr/bin/chromium is already there. As root on Debian it
# installs the distribution's `chromium` package (measured: 50 s cold, apt-get
# update included); otherwise it says what to do and exits non-zero.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: $CHROMIUM is missing, and this is not root on a Debian-like system." >&2
    echo "ensure-chromium: install Chromium (Debian/Ubuntu: sudo apt-get install chromium) so that $CHROMIUM exists" >&2
    exit 1
fi

echo "ensure-chromium: installing Debian's chromium package..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null

if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-chromium: apt-get installed chromium but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium installed)" >&2
