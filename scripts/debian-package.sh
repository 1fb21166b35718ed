#!/usr/bin/env bash
# Install a Debian package when any of its commands is missing (as root).
# Usage: debian-package.sh PACKAGE COMMAND...
set -euo pipefail
package=$1
shift
missing=0
for cmd in "$@"; do
    command -v "$cmd" >/dev/null || missing=1
done
[ "$missing" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-tools: $package is missing; run as root or: sudo apt-get install $package" >&2
    exit 1
fi
echo "install-test-tools: installing Debian's $package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$package" >/dev/null
