#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need on Debian 12.
# Run as root (or with sudo).  Safe to run again.
set -euo pipefail

packages=(
    make gcc
    postgresql-15                          # server (pg_regress, initdb)
    postgresql-common                      # pg_virtualenv
    postgresql-server-dev-15               # PGXS and server headers
    postgresql-15-pgtap                    # pgTAP
    libtap-parser-sourcehandler-pgtap-perl # pg_prove
    postgresql-15-cron                     # pg_cron, for scheduled audits
)

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
