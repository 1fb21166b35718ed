"""Every service's no carries its kind, and the CLI's exit code is that kind's row of docs/cli.md."""

from __future__ import annotations

import re

from relui.commands.base import EXIT_BLOCKED, EXIT_FAILED, EXIT_FOR, EXIT_USAGE, CommandError
from relui.services.attestations import ReadinessError
from relui.services.checklist import ChecklistError
from relui.services.intervene import InterventionRefused
from relui.services.problems import Problem, ServiceError
from relui.services.signing import SigningError
from tests.conftest import ROOT


def test_each_kind_of_no_has_the_documented_exit_code() -> None:
    assert EXIT_FOR == {Problem.REFUSED: EXIT_BLOCKED, Problem.USAGE: EXIT_USAGE, Problem.FAILED: EXIT_FAILED}
    table = (ROOT / "docs" / "cli.md").read_text()
    documented = dict(re.findall(r"^\| (\d) \| ([a-z ]+?) \|", table, re.M))
    assert documented == {
        "0": "ok",
        "1": "failed",
        "2": "usage or config error",
        "3": "refused by a guard or a permission",
    }


def test_the_services_errors_say_their_kind() -> None:
    for error in (ChecklistError, ReadinessError, SigningError):
        assert issubclass(error, ServiceError)
        assert error("x").problem is Problem.FAILED  # unless the raiser says otherwise
    assert InterventionRefused("x").problem is Problem.REFUSED
    refused = CommandError.of(ChecklistError("alice deployed this release", Problem.REFUSED))
    assert (str(refused), refused.code) == ("alice deployed this release", EXIT_BLOCKED)
