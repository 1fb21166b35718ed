#!/usr/bin/env bash
# Prometheus and promtool from Debian's package, when missing.
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-tools: prometheus is missing; run as root or: sudo apt-get install prometheus" >&2
    exit 1
fi
echo "install-test-tools: installing Debian's prometheus"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
