#!/usr/bin/env bash
# mypy over the installed package layout: screens/ and widgets/ live at the repo
# root but are relui.screens and relui.widgets once installed (package-dir),
# which mypy cannot map. A symlink tree in .venv gives it the real layout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shadow="$root/.venv/typecheck"
rm -rf "$shadow"
mkdir -p "$shadow/relui"
for entry in "$root"/relui/*; do
    ln -s "$entry" "$shadow/relui/"
done
ln -s "$root/screens" "$shadow/relui/screens"
ln -s "$root/widgets" "$shadow/relui/widgets"
cd "$shadow"
"$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" -p relui
