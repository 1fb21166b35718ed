#!/usr/bin/env bash
# Prometheus and promtool from Debian's package, when missing.
set -euo pipefail
bash "$(dirname "$0")/../debian-package.sh" prometheus prometheus promtool
