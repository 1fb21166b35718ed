"""The wheel works on its own: package data, one version, true lower bounds, a TUI that starts.

The chart, the runbooks and the sample config are copied into the wheel from
their one place in the repository (pyproject's package-dir and package-data);
these tests check that every file of them is covered, that the built wheel
holds them, and that the lower bounds of pyproject are the pins of
constraints-lowest.txt, which ``make test-lowest`` installs.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import relui
from relui.bundled import bundled
from tests.conftest import ROOT, SHIPPED_CONFIG, make_context

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def packaged_files() -> set[str]:
    """Every file the package-data globs select, as its path inside the wheel."""
    selected: set[str] = set()
    for package, patterns in SETUPTOOLS["package-data"].items():
        source = ROOT / package_dir(package)
        for pattern in patterns:
            for path in source.glob(pattern):
                if path.is_file():
                    selected.add("/".join([*package.split("."), path.name]))
    return selected


def package_dir(package: str) -> str:
    """Where a package's files live in the repository (a child of a mapped package inherits its mapping)."""
    mapping: dict[str, str] = SETUPTOOLS["package-dir"]
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        parent = ".".join(parts[:cut])
        if parent in mapping:
            return "/".join([mapping[parent], *parts[cut:]])
    return "/".join(parts)


def test_every_file_of_the_chart_and_the_runbooks_is_package_data() -> None:
    chart = ROOT / "charts" / "bluegreen"
    wanted = {"relui/data/chart/" + p.relative_to(chart).as_posix() for p in chart.rglob("*") if p.is_file()}
    wanted |= {f"relui/data/docs/{name}" for name in ("rollback.md", "release-process.md")}
    wanted.add("relui/data/sample/config.toml")
    # The stylesheets: a screen whose CSS_PATH is not in the wheel fails the moment it opens.
    for source, package in (("relui", "relui"), ("screens", "relui/screens"), ("widgets", "relui/widgets")):
        wanted |= {f"{package}/{css.name}" for css in (ROOT / source).glob("*.tcss")}
    missing = wanted - packaged_files()
    assert not missing, f"add these to [tool.setuptools.package-data] in pyproject.toml: {sorted(missing)}"
    assert {f"relui.data.chart.{d.name}" for d in chart.iterdir() if d.is_dir()} <= set(SETUPTOOLS["packages"])


def test_a_source_checkout_finds_the_shipped_files() -> None:
    assert bundled("chart") == ROOT / "charts" / "bluegreen"
    assert bundled("sample") == SHIPPED_CONFIG
    assert bundled("docs", "rollback.md") == ROOT / "docs" / "rollback.md"


def test_one_version_source() -> None:
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert SETUPTOOLS["dynamic"]["version"] == {"attr": "relui.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", relui.__version__)


def test_lower_bounds_are_the_lowest_constraints() -> None:
    bounds = {}
    for requirement in PYPROJECT["project"]["dependencies"]:
        name, low = re.match(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)", requirement).groups()  # type: ignore[union-attr]
        bounds[name.lower()] = low
    pins = {}
    for line in (ROOT / "constraints-lowest.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    assert set(pins) == set(bounds), "constraints-lowest.txt pins exactly the direct dependencies"
    for name, low in bounds.items():
        assert tuple(map(int, pins[name].split("."))) == tuple(map(int, (low + ".0.0").split(".")[:3])), name
    assert bounds["textual"] == "6.2" and bounds["prometheus-api-client"] == "0.7"


def test_license_is_mit() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_tui_starts_headless(tmp_path: Path) -> None:
    """What ``make test-lowest`` runs on the oldest allowed Textual: the app mounts and shows its dashboard."""
    from relui.app import ReluiApp
    from relui.clock import ManualClock
    from tests.conftest import IN_WINDOW

    ctx = make_context(SHIPPED_CONFIG, tmp_path / "state", ManualClock(IN_WINDOW))

    async def start() -> str:
        app = ReluiApp(ctx)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            return type(app.screen).__name__

    assert asyncio.run(start()).endswith("Dashboard")


def test_the_built_wheel_holds_the_data_files(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("relui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert packaged_files() <= names
    assert {"relui/data/chart/Chart.yaml", "relui/data/chart/templates/deployment.yaml"} <= names
    assert any(name.endswith("licenses/LICENSE") for name in names)
