#!/usr/bin/env bash
# Debian's Chromium, which the browser tests and the page-speed bench drive: installed if missing (as root).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "Chromium is missing: run 'sudo apt-get install -y chromium'" >&2
    exit 1
  fi
fi
