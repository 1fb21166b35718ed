"""Records in an S3 bucket every machine of the team shares (boto3; moto in tests).

Layout under ``s3://bucket/prefix``:

- ``journal/<env>/<seq>.json``: one object per journal record, never
  overwritten (``PutObject`` with ``If-None-Match: *``); the zero-padded
  sequence number makes a listing the journal's order, and two writers that
  pick the same number cannot both succeed: the loser reads the new tail and
  builds its record again. With ``retain_days`` each record is written under
  S3 Object Lock retention (compliance mode), so nobody can delete it.
- ``checklists/...``, ``readiness/...``, ``actions/...``, ``incidents/...``,
  ``drills/...``: documents, written with ``If-Match`` on the ETag that was
  read (or ``If-None-Match: *`` when there was none).
- ``leases/<env>.json``: the action mutex, ``{holder, host, pid, expiry}``,
  created conditionally, renewed while the action runs, and taken over
  (``If-Match`` on the ETag read) only once it expired or its holder's
  process is gone from this host.

Every failure is one ``RecordsError`` line naming the bucket; a lost race is
a ``RecordConflict``. Journal bodies are cached by key and ETag: a record is
immutable, and an edit behind relui's back changes the ETag, so it is read again.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from relui.adapters.aws_session import LazySession, client_config
from relui.config import AwsConfig
from relui.config_team import RecordsConfig
from relui.ports import ABSENT, WATCH_SECONDS, Document, Lease, RecordConflict, RecordsError, StoredRecord
from relui.statedir import READ_LIMIT

# Unreachable should be said within seconds: every machine's dashboard asks.
_CLIENT_CONFIG = client_config(3, 10)
_CONFLICTS = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING = {"NoSuchKey", "404", "NotFound"}
LEASE_SECONDS = 30.0
MAX_APPEND_RACES = 100
SEQ_DIGITS = 12


class S3Records:
    """One environment's records (or several environments' under one prefix) in S3."""

    def __init__(
        self, records: RecordsConfig, aws: AwsConfig | None, session: LazySession | boto3.Session | None = None
    ) -> None:
        self.bucket, self.prefix = records.bucket, records.prefix
        self.retain_days = records.retain_days
        self.where = records.url
        self._aws = aws
        self._session = session
        self._client_obj: Any = None
        self._client_guard = threading.Lock()
        self._bodies: dict[tuple[str, str], bytes] = {}
        self._tails: dict[str, StoredRecord] = {}
        # Per journal prefix: when it was last listed whole, the (key, ETag) listed, and their records.
        self._listed: dict[str, tuple[float, tuple[tuple[str, str], ...], tuple[StoredRecord, ...]]] = {}
        self._listed_guard = threading.Lock()

    # -- plumbing ---------------------------------------------------------

    def _client(self) -> Any:
        with self._client_guard:
            if self._client_obj is None:
                session = self._session or boto3.Session(
                    region_name=self._aws.region if self._aws else None,
                    profile_name=self._aws.profile if self._aws else None,
                )
                endpoint = self._aws.endpoint_url if self._aws else None
                self._client_obj = session.client(
                    "s3",
                    endpoint_url=endpoint,
                    verify=(self._aws.ca_bundle if self._aws else None) or True,
                    config=_CLIENT_CONFIG,
                )  # the config's ca_bundle, else the public CAs; never AWS_CA_BUNDLE (as aws_session's clients)
            return self._client_obj

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _journal_prefix(self, env: str | None) -> str:
        return self._key(f"journal/{env}/" if env else "journal/")

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """botocore's failures as one line: a lost race as RecordConflict, anything else as RecordsError."""
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in _CONFLICTS or status in ("412", "409"):
                raise RecordConflict(self.where, f"{what}: another writer got there first") from None
            message = " ".join(str(error.get("Message") or code or exc).split())
            raise RecordsError(self.where, f"{what} failed: {code} {message}".strip()) from None
        except BotoCoreError as exc:
            raise RecordsError(self.where, f"{what} failed: {' '.join(str(exc).split())}") from None

    def _get(self, key: str, what: str) -> tuple[bytes, str] | None:
        try:
            with self._errors(what):
                answer = self._client().get_object(Bucket=self.bucket, Key=key)
                body = answer["Body"]
                try:
                    # No record relui writes comes near this; whoever may write the bucket may put anything there.
                    if int(answer.get("ContentLength") or 0) > READ_LIMIT:
                        raise RecordsError(self.where, f"{what}: {key} is larger than {READ_LIMIT >> 20} MiB")
                    data = body.read(READ_LIMIT + 1)
                finally:
                    body.close()
                if len(data) > READ_LIMIT:
                    raise RecordsError(self.where, f"{what}: {key} is larger than {READ_LIMIT >> 20} MiB")
                return data, str(answer["ETag"])
        except RecordsError as exc:
            if any(code in exc.reason for code in ("NoSuchKey", "Not Found", "404")):
                return None
            raise

    def _put(self, key: str, data: bytes, what: str, **conditions: Any) -> str:
        with self._errors(what):
            answer = self._client().put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType="application/json", **conditions
            )
            return str(answer["ETag"])

    def _list(self, prefix: str, start_after: str | None = None) -> list[tuple[str, str]]:
        """(key, ETag) of every object under ``prefix``, in key order."""
        found: list[tuple[str, str]] = []
        with self._errors(f"listing {prefix}"):
            pages = self._client().get_paginator("list_objects_v2")
            arguments: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
            if start_after:
                arguments["StartAfter"] = start_after
            for page in pages.paginate(**arguments):
                found += [(str(o["Key"]), str(o["ETag"])) for o in page.get("Contents", [])]
        return found

    def _retention(self) -> dict[str, Any]:
        if not self.retain_days:
            return {}
        until = datetime.now(UTC) + timedelta(days=self.retain_days)
        return {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}

    # -- journal ----------------------------------------------------------

    def append(self, env: str, build: Callable[[StoredRecord | None], tuple[int, bytes]]) -> StoredRecord:
        """Create the record's object at its sequence number; on a lost race, read the new tail and build again."""
        for _ in range(MAX_APPEND_RACES):
            tail = self._tail(env)
            seq, data = build(tail)
            key = self._journal_prefix(env) + f"{seq:0{SEQ_DIGITS}d}.json"
            try:
                etag = self._put(
                    key, data, f"writing journal record {seq} of {env}", IfNoneMatch="*", **self._retention()
                )
            except RecordConflict:
                continue
            record = StoredRecord(f"s3://{self.bucket}/{key}", data, seq)
            self._bodies[(key, etag)] = data
            self._tails[env] = record
            return record
        raise RecordsError(self.where, f"the journal of {env} kept moving under {MAX_APPEND_RACES} writes; try again")

    def _tail(self, env: str) -> StoredRecord | None:
        known = self._tails.get(env)
        start = known.where.removeprefix(f"s3://{self.bucket}/") if known else None
        # Only a record's key: an object relui never wrote (``~notes.json``) may sort after every record,
        # and taking it for the tail would make every append lose a race it can never win.
        newer = [(key, etag) for key, etag in self._list(self._journal_prefix(env), start) if _is_record_key(key)]
        if not newer:
            return known
        key, etag = newer[-1]
        body = self._body(key, etag, f"reading journal record {key}")
        return StoredRecord(f"s3://{self.bucket}/{key}", body, _seq_of(key))

    def _body(self, key: str, etag: str, what: str) -> bytes:
        cached = self._bodies.get((key, etag))
        if cached is not None:
            return cached
        found = self._get(key, what)
        data = found[0] if found else b""
        self._bodies[(key, found[1] if found else etag)] = data
        return data

    def records(self, env: str | None, whole: bool = True) -> tuple[StoredRecord, ...]:
        """Every record object under the environment's journal prefix, in sequence order.

        A listing is a request per thousand objects, so a year's journal
        listed whole at every dashboard refresh was a dozen requests a
        second per operator. Watching (``whole`` False), the last whole
        listing (under ``WATCH_SECONDS`` old) is kept and only what
        sorts after its last record's key is listed: every append lands
        there, since a sequence number only grows. An edit or a removal
        behind relui's back shows at the next whole listing, which every
        guard and ``verify`` make.
        """
        prefix = self._journal_prefix(env)
        kept = self._listed.get(prefix)
        if whole or kept is None or time.monotonic() - kept[0] >= WATCH_SECONDS:
            started = time.monotonic()
            listed = tuple(self._list(prefix))
            records = tuple(self._record(key, etag) for key, etag in listed)
            self._listed[prefix] = (started, listed, records)
            return records
        started, listed, records = kept
        # The last key a sequence number names: anything else under the prefix (which relui never
        # writes) may sort after every record, and is listed again each time rather than trusted.
        upto = next((n for n in range(len(listed), 0, -1) if _is_record_key(listed[n - 1][0])), 0)
        newer = tuple(self._list(prefix, listed[upto - 1][0] if upto else None))
        if newer == listed[upto:]:
            return records
        records = records[:upto] + tuple(self._record(key, etag) for key, etag in newer)
        with self._listed_guard:
            # A guard's whole listing made meanwhile (another thread) is newer than what this adds to.
            if self._listed.get(prefix) is kept:
                self._listed[prefix] = (started, listed[:upto] + newer, records)
        return records

    def _record(self, key: str, etag: str) -> StoredRecord:
        return StoredRecord(f"s3://{self.bucket}/{key}", self._body(key, etag, f"reading {key}"), _seq_of(key))

    # -- documents --------------------------------------------------------

    def read_document(self, name: str) -> Document | None:
        """The object and its ETag, or None."""
        found = self._get(self._key(name), f"reading {name}")
        return Document(*found) if found else None

    def write_document(self, name: str, data: bytes, expect: str | None = None) -> Document:
        """PutObject, conditional on the ETag read (If-Match) or on there being none (If-None-Match)."""
        conditions: dict[str, Any] = {}
        if expect == ABSENT:
            conditions["IfNoneMatch"] = "*"
        elif expect is not None:
            conditions["IfMatch"] = expect
        try:
            etag = self._put(self._key(name), data, f"writing {name}", **conditions)
        except RecordsError as exc:
            if expect and any(code in exc.reason for code in ("NoSuchKey", "Not Found", "404")):
                raise RecordConflict(self.where, f"{name} was removed since it was read") from None
            raise
        return Document(data, etag)

    def delete_document(self, name: str) -> None:
        """DeleteObject (a no-op on a missing key, as S3 answers)."""
        with self._errors(f"removing {name}"):
            self._client().delete_object(Bucket=self.bucket, Key=self._key(name))

    def documents(self, prefix: str) -> list[str]:
        """Names (relative to the store's prefix) of the objects under ``prefix``."""
        base = self._key("")
        return [key.removeprefix(base) for key, _ in self._list(self._key(prefix))]

    # -- the action mutex -------------------------------------------------

    def _lease_key(self, env: str) -> str:
        return self._key(f"leases/{env}.json")

    def _lease_body(self, env: str, holder: str, host: str, pid: int, expiry: float) -> bytes:
        return json.dumps({"env": env, "holder": holder, "host": host, "pid": pid, "expiry": expiry}).encode()

    def acquire_lease(self, env: str, holder: str, host: str, pid: int) -> Lease | None:
        """Create the lease object; over an expired (or dead local) one, replace it on its ETag."""
        expiry = time.time() + LEASE_SECONDS
        body = self._lease_body(env, holder, host, pid, expiry)
        key = self._lease_key(env)
        for _ in range(3):
            try:
                etag = self._put(key, body, f"taking the action mutex of {env}", IfNoneMatch="*")
                return Lease(env, holder, host, pid, expiry, etag)
            except RecordConflict:
                pass
            found = self._get(key, f"reading the action mutex of {env}")
            if found is None:
                continue
            current = _lease(env, found[0], found[1])
            if current is not None and _alive(current, host):
                return None
            try:
                etag = self._put(key, body, f"taking over the action mutex of {env}", IfMatch=found[1])
            except RecordConflict:
                return None
            return Lease(env, holder, host, pid, expiry, etag)
        return None

    def renew_lease(self, lease: Lease) -> Lease:
        """Move the expiry on, on the ETag this holder wrote last."""
        expiry = time.time() + LEASE_SECONDS
        body = self._lease_body(lease.env, lease.holder, lease.host, lease.pid, expiry)
        etag = self._put(
            self._lease_key(lease.env), body, f"renewing the action mutex of {lease.env}", IfMatch=lease.token
        )
        return Lease(lease.env, lease.holder, lease.host, lease.pid, expiry, etag)

    def release_lease(self, lease: Lease) -> None:
        """Write the lease as expired (on our ETag), so the next taker replaces it at once."""
        body = self._lease_body(lease.env, "", "", 0, 0.0)
        # A conflict: it was taken over after it expired, so nothing of ours is left to give back.
        with contextlib.suppress(RecordConflict):
            self._put(self._lease_key(lease.env), body, f"giving back the mutex of {lease.env}", IfMatch=lease.token)

    def lease(self, env: str) -> Lease | None:
        """The lease while it is live."""
        found = self._get(self._lease_key(env), f"reading the action mutex of {env}")
        if found is None:
            return None
        current = _lease(env, found[0], found[1])
        return current if current is not None and _alive(current, None) else None

    # -- what doctor and status ask ----------------------------------------

    def probe(self) -> str:
        """One cheap listing: the bucket answers and lets us read the prefix."""
        self._list(self._key("leases/"))
        return f"records {self.where}"

    def object_lock(self) -> str:
        """Whether the bucket has S3 Object Lock on, in words."""
        try:
            with self._errors("reading the Object Lock configuration"):
                answer = self._client().get_object_lock_configuration(Bucket=self.bucket)
        except RecordsError as exc:
            if "ObjectLockConfigurationNotFound" in exc.reason:
                return f"Object Lock is off for {self.bucket}: records can be deleted by anyone allowed to"
            raise
        config = answer.get("ObjectLockConfiguration", {})
        if config.get("ObjectLockEnabled") != "Enabled":
            return f"Object Lock is off for {self.bucket}: records can be deleted by anyone allowed to"
        kept = f"records kept {self.retain_days} days" if self.retain_days else "no retain_days configured"
        return f"Object Lock is on for {self.bucket} ({kept})"

    def __repr__(self) -> str:
        return f"S3Records({self.where})"


def _is_record_key(key: str) -> bool:
    stem = key.rsplit("/", 1)[-1].removesuffix(".json")
    return len(stem) == SEQ_DIGITS and stem.isdigit()


def _seq_of(key: str) -> int:
    stem = key.rsplit("/", 1)[-1].removesuffix(".json")
    return int(stem) if stem.isdigit() else 0


def _lease(env: str, data: bytes, etag: str) -> Lease | None:
    try:
        raw = json.loads(data)
        return Lease(env, str(raw["holder"]), str(raw["host"]), int(raw["pid"]), float(raw["expiry"]), etag)
    except (ValueError, KeyError, TypeError):
        return None  # a damaged lease holds nothing


def _alive(lease: Lease, host: str | None) -> bool:
    """Live until it expires; sooner gone when its process on this very host has ended."""
    if not lease.holder or lease.expiry <= time.time():
        return False
    if host is not None and lease.host == host and lease.pid > 0:
        try:
            os.kill(lease.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True
