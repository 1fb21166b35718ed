"""The release checklist per environment and version, with sign-offs and smoke results.

Items come from config (the release plan's defaults otherwise). A manual item
is ticked by a person with a time and a note; an automatic item is evaluated
through the ports each time it is read. State is TOML (tomli-w) in
``checklists/<env>/<version>.toml`` in the environment's records store,
written conditionally on the version read (no tick lost to another machine);
the version must be a valid image tag, so that name never leaves the store.
Ticks and sign-offs journal themselves here, so both faces journal them once.
A sign-off is SSH-signed by its signer where ``[signing]`` is configured
(``relui.services.signing``); a GitHub environment approval recorded by the
pipeline counts instead when its recorder was the pipeline's OIDC role. Each
sign-off is checked as it is read (``relui.services.signoff``). Signing and
tomli-w are imported when a sign-off is signed or a state is written, not
with the module: reading a checklist (the dashboard's columns) needs neither.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relui.config import PHASES, SIGN_OFF_ROLE, ChecklistItem
from relui.domain import Color, SmokeResult
from relui.ports import PortError
from relui.printable import printable_fields
from relui.services.auto_checks import check_item
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.problems import Problem, ServiceError
from relui.services.record_store import changed, store_for
from relui.services.release_state import deployers_in_history, release_state
from relui.services.signoff import SignOff, checked, not_the_pipeline
from relui.services.state_shapes import checklist_damage
from relui.services.text import InvalidInput, one_line, validate_version

if TYPE_CHECKING:
    from relui.services.signing import Signed


class ChecklistError(ServiceError):
    """A checklist request that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class ItemStatus:
    """One item as the operator sees it now."""

    item: ChecklistItem
    done: bool
    by: str | None = None
    at: str | None = None
    note: str | None = None
    evidence: str | None = None

    def __post_init__(self) -> None:
        # The tick's words come from the checklist file, which a person or another tool may have written.
        printable_fields(self, "by", "at", "note", "evidence")

    @property
    def automatic(self) -> bool:
        """True when relui evaluates the item itself."""
        return self.item.auto is not None


@dataclass(frozen=True)
class ChecklistView:
    """The whole checklist of one environment and version."""

    env: str
    version: str | None
    items: tuple[ItemStatus, ...]
    signoffs: tuple[SignOff, ...]

    def phase(self, phase: str) -> list[ItemStatus]:
        """The items of one phase, in config order."""
        return [s for s in self.items if s.item.phase == phase]

    def phase_complete(self, phase: str) -> bool:
        """True when every item of the phase is done."""
        return all(s.done for s in self.phase(phase))

    def missing(self, phases: tuple[str, ...]) -> list[ItemStatus]:
        """The items still open in the given phases."""
        return [s for s in self.items if s.item.phase in phases and not s.done]

    @property
    def done(self) -> int:
        """How many items are done."""
        return sum(s.done for s in self.items)


def _as_shown(env: str, in_play: str | None, expect: str | None, what: str) -> None:
    """Refuse when the release in play is not ``expect``, the one shown ("" for none; None holds to nothing)."""
    if expect is not None and (in_play or "") != expect:
        shown = expect or "nothing deployed"
        raise ChecklistError(
            f"{env}'s release in play is {in_play or 'nothing'} now, not {shown} as shown; "
            f"nothing was recorded: look again, then {what} for {in_play or 'what is deployed'}",
            Problem.REFUSED,
        )


class Checklists:
    """Read, tick and sign off checklists; keep smoke results for the cutover guard."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.root = ctx.state_dir / "checklists"

    def path(self, env: str, version: str | None) -> Path:
        """The state file of one environment and version; ChecklistError for a version that is no image tag."""
        if not version:
            return self.root / env / "none.toml"
        try:
            return self.root / env / f"{validate_version(version)}.toml"
        except InvalidInput as exc:
            raise ChecklistError(str(exc)) from None

    def version_of(self, env: str) -> str | None:
        """The version in play: the candidate, else the live version."""
        releases = self.ctx.env_ports(env).releases
        return release_state(releases.history(), releases.values()).release_version

    def _name(self, env: str, version: str | None) -> str:
        """The document of one environment and version in its records store (the state dir's relative path)."""
        return str(self.path(env, version).relative_to(self.ctx.state_dir))

    def _load(self, env: str, version: str | None) -> dict[str, Any]:
        name = self._name(env, version)
        try:
            document = store_for(self.ctx.state_dir, env).read_document(name)
            return _parse(document.data, name) if document else {}
        except PortError as exc:
            raise ChecklistError(f"checklist {name} is unreadable: {exc}") from None

    @contextmanager
    def _change(self, env: str, version: str | None) -> Iterator[dict[str, Any]]:
        """Change the state; the block runs (and journals) before anything is written.

        The write is conditional on the version read; when another machine
        wrote in between, the block's change is applied to theirs (no tick lost).
        """
        name = self._name(env, version)
        try:
            with changed(store_for(self.ctx.state_dir, env), name, lambda data: _parse(data, name), _render) as state:
                state.setdefault("env", env)
                state.setdefault("version", version or "")
                yield state
        except PortError as exc:
            raise ChecklistError(f"cannot save the checklist {name}: {exc}; fix the records store") from None

    def view(self, env: str, version: str | None = None, evaluate: bool = True) -> ChecklistView:
        """The checklist with manual ticks and automatic checks evaluated now."""
        env = self.ctx.env(env).name
        version = version if version is not None else self.version_of(env)
        state = self._load(env, version)
        ticks = state.get("items", {})
        statuses = []
        for item in self.ctx.config.checklist:
            if item.auto and evaluate:
                done, evidence = self._evaluate(item, env, version, state)
                statuses.append(ItemStatus(item, done, evidence=evidence))
            else:
                tick = ticks.get(item.id, {})
                # Only a TOML true is done (``_parse`` refuses any other type).
                statuses.append(
                    ItemStatus(item, tick.get("done") is True, tick.get("by"), tick.get("at"), tick.get("note") or None)
                )
        signoffs = tuple(checked(self.ctx, env, version, s) for s in state.get("signoffs", []) if isinstance(s, dict))
        return ChecklistView(env, version, tuple(statuses), signoffs)

    def progress(self, env: str) -> dict[str, int]:
        """Done and total items, for status lines (automatic checks evaluated)."""
        return self.progress_of(env)[0]

    def progress_of(self, env: str) -> tuple[dict[str, int], str | None]:
        """Done and total items (automatic checks evaluated), and why the checklist could not be read, if so.

        Status lists that reason among the environment's problems: a checklist
        file that is unreadable is never shown as a plain "0/13".
        """
        nothing = {"done": 0, "total": len(self.ctx.config.checklist)}
        try:
            view = self.view(env)
        except ChecklistError as exc:
            # The file is damaged, the store does not answer or the version is no tag: nothing is known done.
            return nothing, str(exc)
        except PortError as exc:
            # A source does not answer (the release history: the version in play is not known): manual ticks only.
            problem = f"checklist unavailable: {exc}"
            try:
                view = self.view(env, version="", evaluate=False)
            except ChecklistError as unread:
                return nothing, f"{problem}; {unread}"
            return {"done": view.done, "total": len(view.items)}, problem
        return {"done": view.done, "total": len(view.items)}, None

    def _refuse_read_only(self, refusal: str) -> None:
        if self.ctx.read_only:
            raise ChecklistError(f"read-only mode: {refusal}", Problem.REFUSED)

    def _item(self, item_id: str) -> ChecklistItem:
        for item in self.ctx.config.checklist:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.ctx.config.checklist)
        raise ChecklistError(f"no checklist item {item_id!r}; items are: {known}", Problem.USAGE)

    def tick(self, env: str, item_id: str, note: str = "", done: bool = True, expect: str | None = None) -> ItemStatus:
        """Tick (or untick) a manual item for the version in play; ``expect``: see ``sign_off``."""
        env = self.ctx.env(env).name
        self._refuse_read_only("the checklist cannot be changed")
        # A tick is a record made under the operator's name: not under a name nobody verified.
        refusal = self.ctx.identity_refusal(env)
        if refusal:
            raise ChecklistError(refusal, Problem.REFUSED)
        item = self._item(item_id)
        if item.auto:
            raise ChecklistError(
                f"{item_id} is checked automatically ({item.auto}); it cannot be ticked by hand", Problem.USAGE
            )
        version = self.version_of(env)
        _as_shown(env, version, expect, "tick an item")
        self.path(env, version)  # a version that is no tag is refused before anything is journaled
        note = one_line(note)
        now = self.ctx.clock.now().isoformat()
        verb = "tick" if done else "untick"
        with self._journaled(env, verb, item=item_id, note=note, version=version), self._change(env, version) as state:
            items = state.setdefault("items", {})
            items[item_id] = {"done": done, "by": self.ctx.operator_on(env), "at": now, "note": note}
        return ItemStatus(item, done, self.ctx.operator_on(env), now, note or None)

    def sign_off(self, env: str, role: str, expect: str | None = None) -> SignOff:
        """Record the operator's sign-off in a role they hold, for the version in play; signed where configured.

        ``expect``: the release the signer was shown ("" for none); when the
        release in play is another by now (a deploy landed since the screen was
        read, or since the pipeline looked), nothing is signed. A face that
        showed a version passes it: the TUI said "signed off 1.4.2" of a
        sign-off it had recorded for the 1.5.1 deployed meanwhile.

        Nobody signs off a release they deployed: who deployed it is read from
        the journal and the release history here, not taken from the caller, so
        no face can leave it out and no rewritten journal hides it.
        """
        env = self.ctx.env(env).name
        self._refuse_read_only("sign-offs are refused")
        refusal = self.ctx.identity_refusal(env)
        if refusal:
            raise ChecklistError(refusal, Problem.REFUSED)
        roles = self.ctx.roles_on(env)
        if role not in roles:
            held = ", ".join(roles) or "none"
            raise ChecklistError(
                f"{self.ctx.operator_on(env)} does not hold role {role!r} (roles: {held}); ask someone who does",
                Problem.REFUSED,
            )
        releases = self.ctx.env_ports(env).releases
        history = releases.history()
        version = release_state(history, releases.values()).release_version
        _as_shown(env, version, expect, "sign off")
        if version is None:
            raise ChecklistError(f"{env} has nothing deployed to sign off", Problem.REFUSED)
        operator, who = self.ctx.operator_on(env), self.ctx.principal(env)
        deployers = Journal(self.ctx.state_dir, self.ctx.clock).deployers(env, version)
        if {operator, who.principal} & (deployers | deployers_in_history(history, version)):
            raise ChecklistError(
                f"{operator} deployed this release and cannot sign it off; another {role} must sign off",
                Problem.REFUSED,
            )
        self.path(env, version)
        now = self.ctx.clock.now()
        signed = self._sign(env, version, role, now)
        signoff = SignOff(
            role,
            operator,
            now.isoformat(),
            principal=who.principal,
            verified_by=who.how,
            payload=signed.payload if signed else "",
            signature=signed.signature if signed else "",
        )
        return self._store(env, version, signoff, signed=bool(signed))

    def record_github_approval(self, env: str, run_url: str, approver: str, expect: str | None = None) -> SignOff:
        """Record a GitHub environment approval; it counts as the product owner's only from the pipeline's role."""
        env = self.ctx.env(env).name
        self._refuse_read_only("sign-offs are refused")
        refusal = self.ctx.identity_refusal(env)
        if refusal:
            raise ChecklistError(refusal, Problem.REFUSED)
        run_url, approver = one_line(run_url), one_line(approver)
        if not run_url.startswith("https://") or not approver:
            raise ChecklistError(
                "a GitHub approval needs --run-url https://... (the workflow run) and --approver LOGIN", Problem.USAGE
            )
        who = self.ctx.principal(env)
        refused = not_the_pipeline(self.ctx.config, who)
        if refused:
            # Recorded from anyone else it never counted, and it replaced the product owner's sign-off that did.
            raise ChecklistError(f"{refused}; only the pipeline records a GitHub approval", Problem.REFUSED)
        version = self.version_of(env)
        _as_shown(env, version, expect, "record an approval")
        if version is None:
            raise ChecklistError(f"{env} has nothing deployed to sign off", Problem.REFUSED)
        self.path(env, version)
        signoff = SignOff(
            SIGN_OFF_ROLE,
            f"github:{approver}",
            self.ctx.clock.now().isoformat(),
            principal=who.principal,
            verified_by=who.how,
            github_run_url=run_url,
            github_approver=approver,
        )
        return self._store(env, version, signoff, signed=False)

    def _sign(self, env: str, version: str, role: str, now: datetime) -> Signed | None:
        """The signature of a sign-off where signing is configured; ChecklistError says how to set it up."""
        from relui.services import signing

        if not signing.signing_configured(self.ctx.config):
            if self.ctx.env(env).protected and not self.ctx.env(env).identity.allow_unverified:
                hint = signing.setup_hint(self.ctx.operator_on(env), role)
                raise ChecklistError(
                    f"{env} needs signed sign-offs: set [signing] allowed_signers; {hint}", Problem.USAGE
                )
            return None
        text = signing.payload(
            "signoff", env, version, role, self.ctx.operator_on(env), now, now + signing.SIGNOFF_VALID
        )
        try:
            return signing.sign(self.ctx.config, text, self.ctx.operator_on(env), role)
        except signing.SigningError as exc:
            raise ChecklistError(str(exc), exc.problem) from None

    def _store(self, env: str, version: str, signoff: SignOff, *, signed: bool) -> SignOff:
        detail: dict[str, Any] = {"role": signoff.role, "version": version, "principal": signoff.principal}
        detail |= {"verified_by": signoff.verified_by, "signed": signed}
        if signoff.pipeline:
            detail |= {"github_run_url": signoff.github_run_url, "github_approver": signoff.github_approver}
        with self._journaled(env, "signoff", **detail), self._change(env, version) as state:
            kept = [s for s in state.get("signoffs", []) if s["role"] != signoff.role]
            state["signoffs"] = [*kept, signoff.stored()]
        return signoff

    @contextmanager
    def _journaled(self, env: str, action: str, **detail: Any) -> Iterator[None]:
        """Journal the change before it is made (a JournalError stops it), then let the block save it.

        If saving then fails, a second note says so, so the journal never
        claims a change the checklist file does not hold. If that note cannot
        be written either (the disk filled between the two), the error says
        the journal holds the change and the checklist does not.
        """
        journal = Journal(self.ctx.state_dir, self.ctx.clock)
        journal.note(self.ctx.operator_on(env), env, action, **detail)
        try:
            yield
        except ChecklistError as exc:
            try:
                journal.note(self.ctx.operator_on(env), env, action, "failed", message=str(exc))
            except PortError as lost:
                raise ChecklistError(
                    f"{exc}; the journal notes this {action} but could not note that it failed ({lost}); "
                    "the checklist, not the journal, holds what was saved",
                    exc.problem,
                ) from None
            raise

    def record_smoke(self, env: str, version: str, color: Color, results: list[SmokeResult]) -> None:
        """Keep smoke results of a version, for the cutover guard and the checklist."""
        with self._change(env, version) as state:
            state["smoke"] = {
                "color": str(color),
                "at": self.ctx.clock.now().isoformat(),
                "passed": all(r.passed for r in results) and bool(results),
                "results": [{"name": r.name, "passed": r.passed, "detail": r.detail} for r in results],
            }

    def smoke_of(self, env: str, version: str | None) -> dict[str, Any] | None:
        """The kept smoke results of a version, if smoke ran."""
        smoke: dict[str, Any] | None = self._load(env, version).get("smoke")
        return smoke

    def _evaluate(self, item: ChecklistItem, env: str, version: str | None, state: dict[str, Any]) -> tuple[bool, str]:
        """Run one automatic check through the ports: (done, evidence)."""
        try:
            return check_item(self.ctx, item, env, version, state)
        except PortError as exc:
            return False, f"could not check: {exc}"


def _parse(data: bytes, name: str) -> dict[str, Any]:
    """The state of a checklist file; ChecklistError when it is no TOML or not the shape relui writes.

    A damaged file is reported, never read around nor written over: its
    ticks and sign-offs stay as they are until someone repairs it.
    """
    try:
        state = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ChecklistError(f"checklist {name} is unreadable: {exc}") from None
    damage = checklist_damage(state)
    if damage:
        raise ChecklistError(
            f"checklist {name} is unreadable: {damage}; repair the file (relui does not write over it)"
        )
    return state


def _render(state: dict[str, Any]) -> bytes:
    import tomli_w

    return tomli_w.dumps(state).encode("utf-8")


__all__ = ["PHASES", "ChecklistError", "ChecklistView", "Checklists", "ItemStatus", "SignOff"]
