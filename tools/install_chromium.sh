#!/usr/bin/env bash
# Debian's headless-capable Chromium and its matching WebDriver, for the report's browser test
# (tests/test_report_browser.py, CI).
#
#   tools/install_chromium.sh    # install chromium + chromium-driver if missing, then print both versions
#
# Idempotent: when /usr/bin/chromium and /usr/bin/chromedriver are there it installs nothing (no apt-get update).
# Otherwise it needs root and Debian/Ubuntu's apt: `apt-get install` of chromium and chromium-driver (the driver
# package pins the browser to its own version, so the two always match), with `apt-get update` only when the
# install fails on missing or stale package lists (~30-60 s in all). Quiet: apt's output goes to a log file.
# Exit code 3 means Chromium could not be installed here (callers may skip, with this reason on stderr).
set -euo pipefail

CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
PACKAGES=(chromium chromium-driver)
LOG=${TMPDIR:-/tmp}/rltickets-install-chromium.log

log() { echo "install_chromium: $*" >&2; }
unavailable() { log "$*"; exit 3; }

installed() { [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; }

if ! installed; then
    [ "$(id -u)" -eq 0 ] || unavailable "${PACKAGES[*]} missing and not root, cannot apt-get install"
    command -v apt-get >/dev/null || unavailable "${PACKAGES[*]} missing and no apt-get on this system"
    log "installing ${PACKAGES[*]} (log: $LOG)"
    apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >>"$LOG" 2>&1
    }
    : >"$LOG"
    apt_install || { apt-get update -qq >>"$LOG" 2>&1 && apt_install; } ||
        unavailable "apt-get install of ${PACKAGES[*]} failed (see $LOG)"
    installed || unavailable "apt-get installed ${PACKAGES[*]} but $CHROMIUM or $CHROMEDRIVER is missing"
fi
# Both print e.g. "Chromium 150.0.7871.100 built on Debian ..." / "ChromeDriver 150.0.7871.100 (...)".
log "ready: $("$CHROMIUM" --version 2>/dev/null | head -1); $("$CHROMEDRIVER" --version 2>/dev/null | head -1)"
