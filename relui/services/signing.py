"""SSH-signed approvals: sign-offs, readiness attestations and break-glass approvals.

An approval is a canonical JSON payload (kind, environment, version, role,
signer, time, expiry, evidence) signed with ``ssh-keygen -Y sign -n relui``,
the mechanism git uses for SSH-signed commits: with ``$SSH_AUTH_SOCK`` set the
public key is passed with ``-f`` and the agent signs with the private half.
It is checked with ``ssh-keygen -Y verify`` against the ``allowed_signers``
file of ``[signing]``: one line per key as in git's
``gpg.ssh.allowedSignersFile``, plus a ``relui-roles="product_owner,devops"``
option naming the roles that key may sign for. relui strips that option before
handing the file to ssh-keygen (which refuses options it does not know).

A record counts only when its signature verifies for the signer it names,
that signer's key may sign for the role, and the payload says what the record
says (environment, version, role, signer) and has not expired. So a record is
trusted by its signature, wherever it is stored.

Its times are checked too, since a signer can sign any payload with their key
(``ssh-keygen -Y sign`` needs no relui): it is valid no longer than its kind
may be (``VALIDITY``: a sign-off 7 days, an attestation 90, a break-glass 15
minutes) and was not signed more than ``CLOCK_SKEW`` in this machine's future.
Otherwise one approver could sign a break-glass that lasts a year, or one for
next week's release today.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from relui.config import Config
from relui.services.problems import Problem, ServiceError
from relui.statedir import read_file

NAMESPACE = "relui"
SIGNOFF_VALID = timedelta(days=7)
ATTESTATION_VALID = timedelta(days=90)
BREAK_GLASS_VALID = timedelta(minutes=15)
# The longest a signed record of each kind may be valid for, from its signing time to its expiry.
VALIDITY = {"signoff": SIGNOFF_VALID, "attestation": ATTESTATION_VALID, "break-glass": BREAK_GLASS_VALID}
KIND_WORDS = {"signoff": "a sign-off", "attestation": "an attestation", "break-glass": "a break-glass approval"}
# How far ahead of this machine's clock a signer's may be: NTP-synced clocks agree to well under a second.
CLOCK_SKEW = timedelta(minutes=5)
ROLES_OPTION = "relui-roles"
SSH_TIMEOUT = 15.0
KEY_TYPES = ("ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-", "rsa-sha2-")


class SigningError(ServiceError):
    """An approval could not be signed; the message is one line saying how to set signing up.

    A missing key, key file or ssh-keygen is the setup's problem (``Problem.USAGE``);
    ssh-keygen failing or hanging on a key that is there is ``Problem.FAILED``.
    """


@dataclass(frozen=True)
class Signed:
    """A payload and the SSH signature over it, as a record stores them."""

    payload: str
    signature: str


@dataclass(frozen=True)
class SignatureCheck:
    """What checking a signed record found."""

    problem: str | None  # None: it counts
    key_owner: str | None = None  # the allowed_signers principal whose key made the signature

    @property
    def ok(self) -> bool:
        """True when the signature verifies for the signer and the role, and the payload matches."""
        return self.problem is None


def setup_hint(user: str, role: str = "ROLE") -> str:
    """The one line that says how to start signing."""
    return (
        "create a key with `ssh-keygen -t ed25519`, point [signing] key (or $RELUI_SIGNING_KEY) at it, "
        f'and add its public key to the allowed_signers file as: {user} namespaces="relui",'
        f'{ROLES_OPTION}="{role}" ssh-ed25519 AAAA...'
    )


def signing_configured(config: Config) -> bool:
    """True when approvals are signed and checked ([signing] allowed_signers is set)."""
    return bool(config.signing.allowed_signers)


def payload(
    kind: str,
    env: str,
    version: str,
    role: str,
    signer: str,
    time: datetime,
    expiry: datetime,
    evidence: str = "",
) -> str:
    """The canonical JSON that is signed: sorted keys, no spaces, UTF-8."""
    doc = {
        "kind": kind,
        "env": env,
        "version": version,
        "role": role,
        "signer": signer,
        "time": time.isoformat(),
        "expiry": expiry.isoformat(),
        "evidence": evidence,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _key(config: Config) -> Path | None:
    named = os.environ.get("RELUI_SIGNING_KEY") or config.signing.key
    return Path(named).expanduser() if named else None


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise SigningError(
            "ssh-keygen not found; install the OpenSSH client (openssh-client) to sign approvals", Problem.USAGE
        )
    return found


def sign(config: Config, text: str, user: str, role: str = "ROLE") -> Signed:
    """Sign ``text`` with this user's key (through ssh-agent when one runs); SigningError says how to set up."""
    key = _key(config)
    if key is None:
        raise SigningError(f"no signing key configured; {setup_hint(user, role)}", Problem.USAGE)
    agent = bool(os.environ.get("SSH_AUTH_SOCK"))
    private = key.with_suffix("") if key.suffix == ".pub" else key
    public = key if key.suffix == ".pub" else key.with_name(key.name + ".pub")
    # As git does: with an agent, -f names the public key and the agent signs with the private one.
    use = public if agent and public.is_file() else private
    if not use.is_file():
        raise SigningError(f"signing key {use} not found; {setup_hint(user, role)}", Problem.USAGE)
    try:
        done = subprocess.run(
            [_ssh_keygen(), "-Y", "sign", "-n", NAMESPACE, "-f", str(use)],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=SSH_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SigningError(
            f"ssh-keygen did not sign within {SSH_TIMEOUT:g} s (a passphrase prompt?); "
            "load the key into ssh-agent with `ssh-add`"
        ) from None
    if done.returncode != 0 or not done.stdout:
        why = " ".join(done.stderr.decode("utf-8", "replace").split()) or f"exit {done.returncode}"
        via = "ssh-agent has no matching key (run `ssh-add`)" if agent and use == public else setup_hint(user, role)
        raise SigningError(f"ssh-keygen could not sign with {use}: {why}; {via}")
    return Signed(text, done.stdout.decode("ascii"))


# -- allowed_signers -----------------------------------------------------------


@dataclass(frozen=True)
class AllowedSigner:
    """One allowed_signers line: who, which roles it may sign for, and the line ssh-keygen reads."""

    principals: tuple[str, ...]
    roles: tuple[str, ...]
    line: str


def _fields(line: str) -> list[str]:
    """Whitespace-separated fields; double quotes keep spaces inside one."""
    fields, current, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                fields.append(current)
            current = ""
        else:
            current += char
    if current:
        fields.append(current)
    return fields


def _options(text: str) -> list[str]:
    """Comma-separated options; commas inside double quotes do not split."""
    options, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            options.append(current)
            current = ""
        else:
            current += char
    return [*options, current] if current else options


def parse_allowed_signers(text: str) -> list[AllowedSigner]:
    """The lines of an allowed_signers file, with relui's roles option taken out of each."""
    signers = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = _fields(raw.strip())
        if len(fields) < 3:
            continue
        principals, rest = fields[0], fields[1:]
        roles: tuple[str, ...] = ()
        if not rest[0].startswith(KEY_TYPES):
            kept = []
            for option in _options(rest[0]):
                name, _, value = option.partition("=")
                if name.strip().lower() == ROLES_OPTION:
                    roles = tuple(r.strip() for r in value.strip('"').split(",") if r.strip())
                else:
                    kept.append(option)
            rest = ([",".join(kept)] if kept else []) + rest[1:]
        names = tuple(p.strip('"') for p in principals.split(","))
        signers.append(AllowedSigner(names, roles, " ".join([principals, *rest])))
    return signers


def _key_of(signer: AllowedSigner) -> str | None:
    """``ssh-ed25519 AAAA...``: the key of an allowed_signers line (its type and base64), or None."""
    fields = _fields(signer.line)
    for index, field in enumerate(fields[1:-1], start=1):
        if field.startswith(KEY_TYPES):
            return f"{field} {fields[index + 1]}"
    return None


def others_with_the_keys_of(signers: list[AllowedSigner], principal: str) -> tuple[str, ...]:
    """Who else allowed_signers lists with one of ``principal``'s keys: one key is one person.

    ``ssh-keygen -Y find-principals`` names only the first line a key is on, so
    a key listed under a second name signed as that name: an operator's own
    key, listed again as ``alice-po``, signed off alice's own release.
    """
    keys = {_key_of(s) for s in signers if principal in s.principals} - {None}
    others = {p for s in signers if _key_of(s) in keys for p in s.principals if p != principal}
    return tuple(sorted(others))


def roles_of_signer(signers: list[AllowedSigner], principal: str) -> tuple[str, ...]:
    """The roles any key of ``principal`` may sign for."""
    roles: list[str] = []
    for signer in signers:
        if principal in signer.principals:
            roles.extend(r for r in signer.roles if r not in roles)
    return tuple(roles)


# -- checking -------------------------------------------------------------------


class _RepeatedKey(Exception):
    """A JSON object naming one key twice; the message is the key."""


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise _RepeatedKey(repr(key)[:60])
        doc[key] = value
    return doc


def check_signed(
    config: Config,
    signed: Signed,
    *,
    expect: dict[str, str],
    now: datetime,
) -> SignatureCheck:
    """Whether a signed record counts: payload as expected, not expired, signature good, role allowed."""
    try:
        doc = json.loads(signed.payload, object_pairs_hook=_no_repeated_keys)
    except _RepeatedKey as exc:
        # Python keeps the last, another reader (an auditor's tool) the first: two records in one.
        return SignatureCheck(f"its signed payload names {exc} twice")
    except ValueError:
        return SignatureCheck("its signed payload is not readable JSON")
    if not isinstance(doc, dict):
        return SignatureCheck("its signed payload is not a JSON object")
    for key, want in expect.items():
        got = str(doc.get(key, ""))
        if got != want:
            if key == "version":
                return SignatureCheck(f"signed for version {got or '-'}, not {want}")
            if key == "signer":
                return SignatureCheck(f"the record names {want}, but its payload was signed as {got or '-'}")
            return SignatureCheck(f"signed for {key} {got or '-'}, not {want}")
    times = _times(doc)
    if isinstance(times, str):
        return SignatureCheck(times)
    signed_at, expiry = times
    if now >= expiry:
        return SignatureCheck(f"its signature expired at {expiry:%Y-%m-%d %H:%M} UTC")
    checked = verify(config, signed, str(doc.get("signer", "")), str(doc.get("role", "")))
    if checked.problem:
        return checked  # an edited payload says so, whatever its times became
    kind = str(doc.get("kind", ""))
    longest = VALIDITY.get(kind)
    if longest is None:
        return SignatureCheck(f"its signed payload is of no kind relui signs ({kind or '-'})", checked.key_owner)
    if signed_at > now + CLOCK_SKEW:
        return SignatureCheck(
            f"it was signed at {signed_at:%Y-%m-%d %H:%M} UTC, {_span(signed_at - now)} ahead of this clock: "
            "the signer's clock (or this one) is wrong",
            checked.key_owner,
        )
    if expiry - signed_at > longest:
        return SignatureCheck(
            f"it was signed valid for {_span(expiry - signed_at)}, longer than {KIND_WORDS[kind]} may be "
            f"({_span(longest)})",
            checked.key_owner,
        )
    return checked


def _times(doc: dict[str, object]) -> tuple[datetime, datetime] | str:
    """The payload's signing time and expiry, or why they are no moments."""
    times = []
    for key in ("time", "expiry"):
        try:
            moment = datetime.fromisoformat(str(doc.get(key, "")))
        except ValueError:
            return f"its signed payload has no valid {key}"
        if moment.utcoffset() is None:  # a time without its offset is no moment (and cannot be compared)
            return f"its signed payload has no valid {key}"
        times.append(moment)
    return times[0], times[1]


def _span(span: timedelta) -> str:
    """A duration in the unit an operator would say it in: days, hours or minutes."""
    if span >= timedelta(days=2):
        return f"{span.days} days"
    if span >= timedelta(hours=2):
        return f"{int(span.total_seconds() // 3600)} hours"
    return f"{max(1, round(span.total_seconds() / 60))} minutes"


def verify(config: Config, signed: Signed, signer: str, role: str) -> SignatureCheck:
    """``ssh-keygen -Y verify`` of the signature for ``signer``, and the role that signer's key may sign for."""
    path = config.signing.allowed_signers
    if not path:
        return SignatureCheck("no [signing] allowed_signers is configured to check its signature against")
    file = Path(path).expanduser()
    if not file.is_absolute():
        file = config.path.parent / file
    try:
        text = read_file(file).decode("utf-8")
    except OSError as exc:
        return SignatureCheck(f"allowed_signers {file} is unreadable ({exc.strerror or exc})")
    except UnicodeDecodeError:
        return SignatureCheck(f"allowed_signers {file} is not UTF-8 text")
    return _verify(text, signed.payload, signed.signature, signer, role)


@lru_cache(maxsize=256)
def _verify(allowed: str, text: str, signature: str, signer: str, role: str) -> SignatureCheck:
    """The check itself, pure in its inputs (so repeated views of one record run ssh-keygen once)."""
    signers = parse_allowed_signers(allowed)
    try:
        keygen = _ssh_keygen()
    except SigningError as exc:
        return SignatureCheck(str(exc))
    with tempfile.TemporaryDirectory(prefix="relui-verify-") as tmp:
        signers_file, sig_file = Path(tmp) / "allowed_signers", Path(tmp) / "approval.sig"
        signers_file.write_text("".join(s.line + "\n" for s in signers), encoding="utf-8")
        sig_file.write_text(signature, encoding="ascii", errors="replace")
        try:
            found = subprocess.run(
                [keygen, "-Y", "find-principals", "-f", str(signers_file), "-s", str(sig_file)],
                capture_output=True,
                timeout=SSH_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            owners = found.stdout.decode("utf-8", "replace").split() if found.returncode == 0 else []
            if not owners:
                return SignatureCheck("signed with a key that is not in allowed_signers")
            if signer not in owners:
                return SignatureCheck(f"signed with {owners[0]}'s key, not {signer}'s", owners[0])
            checked = subprocess.run(
                [keygen, "-Y", "verify", "-f", str(signers_file), "-I", signer, "-n", NAMESPACE, "-s", str(sig_file)],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=SSH_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return SignatureCheck(f"ssh-keygen did not check the signature within {SSH_TIMEOUT:g} s")
    if checked.returncode != 0:
        return SignatureCheck("its signature does not verify: the record was changed after it was signed", signer)
    shared = others_with_the_keys_of(signers, signer)
    if shared:
        return SignatureCheck(
            f"{signer}'s key is also listed for {', '.join(shared)} in allowed_signers, so it proves no one person "
            "signed: give each person their own key"
        )
    allowed_roles = roles_of_signer(signers, signer)
    if role not in allowed_roles:
        held = ", ".join(allowed_roles) or "none"
        return SignatureCheck(f"{signer}'s key may not sign for {role} ({ROLES_OPTION}: {held})", signer)
    return SignatureCheck(None, signer)
