#!/usr/bin/env bash
# Make sure ClamAV's `clamscan` is on this machine: the file scanner's tests
# (tests/unit/files) run the real engine against the project's own signature
# database (infra/clamav/), so they need the binary, not the definitions.
#
# Idempotent and quiet when clamscan is already there. As root on Debian/Ubuntu it
# installs the distribution's `clamav` package; otherwise it says what to do and
# exits non-zero. freshclam is not run: the tests only need infra/clamav/.
set -euo pipefail

if command -v clamscan >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-clamav: clamscan is not installed, and this is not root on a Debian-like system." >&2
    echo "ensure-clamav: install ClamAV (Debian/Ubuntu: sudo apt-get install clamav; macOS: brew install clamav)" >&2
    exit 1
fi

echo "ensure-clamav: installing Debian's clamav package (clamscan)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends clamav >/dev/null

if ! command -v clamscan >/dev/null 2>&1; then
    echo "ensure-clamav: apt-get installed clamav but clamscan is still not on PATH." >&2
    exit 1
fi
echo "ensure-clamav: $(clamscan --version)" >&2
