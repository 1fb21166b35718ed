"""Which records store each environment of a state dir uses, and changing a document without losing a write.

``relui.backends`` binds the stores it built for a state dir (``bind``); the
journal, checklists, readiness, drills, incidents and the action mutex find
the store of the environment concerned here, by state dir and environment,
so their public signatures stay ``Journal(state_dir, clock)`` and the like.
A state dir nobody bound (a script or test that built no ports) uses the
local store: the state dir itself.

Services only see the ``Records`` port; which adapter stands behind it is the
factory's business.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from relui.ports import ABSENT, RecordConflict, Records, RecordsError, StoredRecord

# Lost races in a row before a change gives up (each retry re-reads and re-applies the change).
MAX_RETRIES = 50

_bound: dict[Path, tuple[dict[str, Records], Records]] = {}
_guard = threading.Lock()


def _key(state_dir: Path) -> Path:
    return Path(os.path.abspath(state_dir))


def bind(state_dir: Path, stores: Mapping[str, Records], local: Records) -> None:
    """Use ``stores`` (by environment) for ``state_dir``; environments not named use ``local``."""
    with _guard:
        _bound[_key(state_dir)] = (dict(stores), local)


def local_store(state_dir: Path) -> Records:
    """The state dir's own store (journal.jsonl, checklists/ ...)."""
    key = _key(state_dir)
    with _guard:
        found = _bound.get(key)
        if found is None:
            # Nobody built ports for this state dir: the default store is the state dir itself.
            # Named by string so that services keep depending on the port, not on an adapter.
            module = importlib.import_module("relui.adapters.records_local")
            found = ({}, cast(Records, module.LocalRecords(key)))
            _bound[key] = found
        return found[1]


def store_for(state_dir: Path, env: str) -> Records:
    """The store of ``env``'s records."""
    local = local_store(state_dir)
    with _guard:
        return _bound[_key(state_dir)][0].get(env, local)


def remote_envs(state_dir: Path) -> dict[str, Records]:
    """The environments whose records live elsewhere than the state dir, with their stores."""
    local = local_store(state_dir)
    with _guard:
        return {env: store for env, store in _bound[_key(state_dir)][0].items() if store is not local}


def every_store(state_dir: Path) -> list[Records]:
    """Each distinct store of the state dir once, the local one first."""
    found = [local_store(state_dir)]
    for store in remote_envs(state_dir).values():
        if all(store is not seen for seen in found):
            found.append(store)
    return found


@contextmanager
def changed(
    store: Records,
    name: str,
    parse: Callable[[bytes], dict[str, Any]],
    render: Callable[[dict[str, Any]], bytes],
) -> Iterator[dict[str, Any]]:
    """Change one document: the block edits the state once; it is written over the version that was read.

    When another writer got there first, the document is read again and the
    block's change (what it set, removed, added to or took from a list) is
    applied to the newer state, so neither write is lost.
    """
    document = store.read_document(name)
    before = parse(document.data) if document else {}
    state = copy.deepcopy(before)
    yield state
    after = state
    for _ in range(MAX_RETRIES):
        try:
            store.write_document(name, render(state), document.version if document else ABSENT)
            return
        except RecordConflict:
            document = store.read_document(name)
            state = merge(before, after, parse(document.data) if document else {})
    raise RecordConflict(store.where, f"{name} kept changing under {MAX_RETRIES} writes in a row; try again")


def merge(before: Any, after: Any, current: Any) -> Any:
    """Apply the change ``before`` -> ``after`` to ``current`` (a three-way merge of TOML-like values)."""
    if before == after:
        return current
    if isinstance(before, dict) and isinstance(after, dict) and isinstance(current, dict):
        merged = dict(current)
        for key in before.keys() | after.keys():
            if key not in after:
                merged.pop(key, None)
            elif key not in current:
                merged[key] = after[key]
            elif key not in before:
                # Both writers added it (the first tick, or sign-off, of a fresh checklist): keep both.
                merged[key] = merge(_empty_like(after[key]), after[key], current[key])
            else:
                merged[key] = merge(before[key], after[key], current[key])
        return merged
    if isinstance(before, list) and isinstance(after, list) and isinstance(current, list):
        removed = [item for item in before if item not in after]
        added = [item for item in after if item not in before]
        return [item for item in current if item not in removed] + [item for item in added if item not in current]
    return after


def _empty_like(value: Any) -> Any:
    """What a value was before anyone added it: an empty table or list; for a scalar, nothing to merge from."""
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    return None


@dataclass(frozen=True)
class Pushed:
    """What ``push`` copied into an environment's shared store, and what was there already."""

    env: str
    where: str
    records: int
    records_present: int
    documents: int
    documents_present: int


def push(state_dir: Path, env: str) -> Pushed:
    """Copy ``env``'s local records into its shared store, keeping the chain; running it again copies nothing.

    Journal records keep their bytes (so their hashes) and sequence numbers;
    records written before the chain stay local. A record the store already
    holds under the same number with other bytes stops the push (``RecordsError``).
    Documents (checklists, readiness, incidents) are created where absent;
    one the store already has is kept, it is the team's newer state.
    """
    local, shared = local_store(state_dir), store_for(state_dir, env)
    if shared is local:
        raise RecordsError(
            str(state_dir), f"{env} keeps its records in the state dir; add [environments.records] first"
        )
    present = {record.line: record.data for record in shared.records(env)}
    copied = kept = 0
    for record in local.records(env):
        raw = _json(record.data)
        seq = raw.get("seq") if raw is not None and raw.get("env") == env else None
        if not isinstance(seq, int) or seq <= 0:
            continue
        if seq in present:
            if present[seq] != record.data:
                raise RecordsError(
                    shared.where, f"record {seq} of {env} differs from {record.where}; nothing overwritten"
                )
            kept += 1
            continue
        shared.append(env, _exactly(env, seq, record.data, shared.where))
        copied += 1
    names = [*local.documents(f"checklists/{env}"), f"readiness/{env}.toml"]
    names += [n for n in local.documents("incidents") if n.endswith(f"-{env}.md") or f"-{env}-" in n]
    docs = docs_kept = 0
    for name in names:
        document = local.read_document(name)
        if document is None:
            continue
        try:
            shared.write_document(name, document.data, ABSENT)
            docs += 1
        except RecordConflict:
            docs_kept += 1
    return Pushed(env, shared.where, copied, kept, docs, docs_kept)


def _json(data: bytes) -> dict[str, Any] | None:
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    return raw if isinstance(raw, dict) else None


def _exactly(env: str, seq: int, data: bytes, where: str) -> Callable[[StoredRecord | None], tuple[int, bytes]]:
    """A journal ``build`` that appends this very record, and refuses when the store's tail is not its predecessor."""

    def build(tail: StoredRecord | None) -> tuple[int, bytes]:
        raw = _json(tail.data) if tail is not None else None
        newest = raw.get("seq", 0) if raw is not None else 0
        if newest != seq - 1:
            raise RecordsError(where, f"the journal of {env} there ends at record {newest}, not {seq - 1}; push again")
        return seq, data

    return build
