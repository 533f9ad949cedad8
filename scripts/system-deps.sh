#!/usr/bin/env bash
# Install the system packages the test suite drives for real: Chromium (browser tests),
# PostgreSQL (store tests) and bubblewrap (grading sandbox). Only missing ones.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v node >/dev/null || need+=(nodejs)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "The test suite needs these system packages: ${need[*]}" >&2
  echo "Install them, e.g.: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
# Another apt-get or dpkg (unattended upgrades, a parallel setup) may hold the dpkg
# lock on a fresh machine: wait for it instead of failing at once.
lock_wait=(-o "DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT:-600}")
apt-get "${lock_wait[@]}" update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get "${lock_wait[@]}" install -y -q \
  --no-install-recommends "${need[@]}" >/dev/null
