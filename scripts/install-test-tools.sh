#!/usr/bin/env bash
# Install what the integration tests run for real, once per machine/venv:
# every scripts/tools.d/*.sh in turn (prometheus, helm, ...).
# Usage: install-test-tools.sh VENV
set -euo pipefail
venv=$(cd "${1:-.venv}" && pwd)
mkdir -p "$venv/tools/bin"
here=$(dirname "$0")
for step in "$here"/tools.d/*.sh; do
    bash "$step" "$venv"
done
