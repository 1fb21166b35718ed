"""What kind of "no" a service gives, decided where the rule is, so every face answers it the same way.

The CLI turns it into its exit code (docs/cli.md); the TUI says the message.
Deciding it in the command afterwards, from what the request looked like,
got it wrong wherever the guess missed a rule: a readiness record refused
in read-only mode exited 1 (failed) instead of 3, a sign-off refused because
signing was not set up exited 1 instead of 2.
"""

from __future__ import annotations

from enum import Enum


class Problem(Enum):
    """Why a request was not done."""

    REFUSED = "refused"  # a rule said no: role, permission, identity, four eyes, read-only, nothing to act on
    USAGE = "usage"  # the request or the setup is wrong: unknown item, no link, signing not set up
    FAILED = "failed"  # it was tried and did not work: a store that did not save, a tool that failed


class ServiceError(Exception):
    """A request a service did not do: one line saying why and what to do, and which kind of no it is."""

    def __init__(self, message: str, problem: Problem = Problem.FAILED) -> None:
        super().__init__(message)
        self.problem = problem
