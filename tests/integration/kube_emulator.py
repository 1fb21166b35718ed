"""A kmock Kubernetes emulator that the real helm binary can install and upgrade against.

``kmock.KubernetesEmulator`` stores JSON objects and serves discovery; helm v4
needs a little more of an API server, added here:

- ``/openapi/v3``: a small document per group-version whose PATCH operations
  declare the ``fieldValidation`` query parameter, so client-go leaves schema
  validation to the server instead of downloading the full OpenAPI schema;
- the core group's discovery says ``groupVersion: v1`` (kmock says ``/v1``,
  which client-go's REST mapper cannot match);
- protobuf request bodies (helm's Secrets release storage) become JSON
  (``kube_protobuf``); answers are JSON, which those clients also accept;
- ``PUT`` replaces an object; ``PATCH`` understands server-side apply
  (creating a missing object, replacing what the manager applied), JSON
  patch, and merge / strategic-merge patches as a merge (lists replaced: enough
  for the small patches relui and the test controller send); a
  ``metadata.resourceVersion`` in a patch that no longer matches is a 409;
- label and field selectors of list requests are honoured (helm's storage
  finds a release's revisions by labels), and objects get ``uid``,
  ``resourceVersion``, ``generation`` and ``creationTimestamp``.

Status stays whatever the ``/status`` subresource was last given: the test
controller in ``kube_controller`` plays the Deployment controller and kubelet.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp.web
import kmock
from kmock._internal import dicts, rendering

from tests.integration import kube_protobuf

APPLY = "application/apply-patch+yaml"
JSON_PATCH = "application/json-patch+json"
# The kinds the chart renders plus helm's storage: their PATCH operations go into /openapi/v3.
OPENAPI_KINDS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("", "v1"): (("services", "Service"), ("secrets", "Secret"), ("pods", "Pod"), ("configmaps", "ConfigMap")),
    ("apps", "v1"): (("deployments", "Deployment"),),
    ("policy", "v1"): (("poddisruptionbudgets", "PodDisruptionBudget"),),
    ("networking.k8s.io", "v1"): (("ingresses", "Ingress"),),
}
_REQUIREMENT = re.compile(r"^\s*(!)?\s*([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$")


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _split_selector(text: str) -> list[str]:
    """Requirements of a selector: commas separate them, except inside ``in (a,b)``."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def label_matches(selector: str, labels: dict[str, str]) -> bool:
    """Kubernetes label selector semantics: =, ==, !=, in, notin, exists, !exists."""
    for requirement in _split_selector(selector):
        found = _REQUIREMENT.match(requirement)
        if found is None:
            raise ValueError(f"cannot parse label selector requirement {requirement!r}")
        negated, key, op, value, set_op, values = found.groups()
        present = key in labels
        if op is None and set_op is None:
            if present == bool(negated):
                return False
        elif op in ("=", "=="):
            if labels.get(key) != value:
                return False
        elif op == "!=":
            if labels.get(key) == value:
                return False
        else:
            choices = {v.strip() for v in values.split(",") if v.strip()}
            inside = present and labels[key] in choices
            if inside != (set_op == "in"):
                return False
    return True


def _field(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def field_matches(selector: str, obj: dict[str, Any]) -> bool:
    """Field selectors as equality on dotted paths (``type=Warning``, ``metadata.name!=x``)."""
    for requirement in _split_selector(selector):
        key, op, value = re.split(r"(!=|==|=)", requirement.strip(), maxsplit=1)
        if (_field(obj, key) == value) != (op != "!="):
            return False
    return True


def _status_error(code: int, reason: str, message: str) -> aiohttp.web.Response:
    body = {"apiVersion": "v1", "kind": "Status", "status": "Failure", "code": code, "reason": reason,
            "message": message, "metadata": {}}  # fmt: skip
    return aiohttp.web.json_response(body, status=code)


class ClusterEmulator(kmock.KubernetesEmulator):  # type: ignore[misc]
    """The kmock emulator with the parts of an API server helm v4 relies on."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._versions = itertools.count(1000)

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        """Turn a protobuf body into JSON before kmock parses the request as text."""
        body = await raw_request.read()
        if raw_request.content_type == kube_protobuf.PROTOBUF and body:
            try:
                decoded = json.dumps(kube_protobuf.decode(body)).encode()
            except ValueError as exc:
                return _status_error(415, "UnsupportedMediaType", str(exc))
            # aiohttp caches the body here; read(), text() and json() all serve from it.
            raw_request._read_bytes = decoded
        return await super().__call__(raw_request)

    async def _serve_version(self, request: rendering.Request) -> Any:
        doc = await super()._serve_version(request)
        doc["groupVersion"] = doc["groupVersion"].lstrip("/")
        return doc

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        path = request.url.path
        if path == "/openapi/v3":
            return aiohttp.web.json_response(self._openapi_index())
        if path.startswith("/openapi/v3/"):
            return aiohttp.web.json_response(self._openapi_document(path[len("/openapi/v3/") :]))
        if request.resource is not None and request.name is not None:
            if request.method.value == "PUT":
                return await self._replace(request)
            if request.method.value == "PATCH":
                return await self._patch(request)
        if request.resource is not None and request.method.value == "POST" and request.name is None:
            return await self._create(request)
        return await super()._handle(request)

    async def _serve_list(self, request: rendering.Request) -> Any:
        listed = await super()._serve_list(request)
        labels, fields = request.params.get("labelSelector"), request.params.get("fieldSelector")
        items = listed["items"]
        if labels:
            items = [i for i in items if label_matches(labels, (i.get("metadata") or {}).get("labels") or {})]
        if fields:
            items = [i for i in items if field_matches(fields, i)]
        return {**listed, "metadata": {"resourceVersion": str(next(self._versions))}, "items": items}

    # -- writes -----------------------------------------------------------------

    def _key(self, request: rendering.Request, body: dict[str, Any] | None = None) -> tuple[Any, str | None, str]:
        meta = (body or {}).get("metadata") or {}
        return request.resource, request.namespace or meta.get("namespace"), request.name or meta.get("name")

    def _stamp(self, new: dict[str, Any], old: dict[str, Any] | None, namespace: str | None) -> dict[str, Any]:
        """Server-owned metadata: uid and creation time kept, resourceVersion and generation moved on."""
        meta = new.setdefault("metadata", {})
        before = (old or {}).get("metadata") or {}
        meta["uid"] = before.get("uid") or str(uuid.uuid4())
        meta["creationTimestamp"] = before.get("creationTimestamp") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if namespace:
            meta["namespace"] = namespace
        meta["resourceVersion"] = str(next(self._versions))
        generation = int(before.get("generation") or 0)
        spec_changed = old is None or new.get("spec") != old.get("spec")
        meta["generation"] = generation + 1 if spec_changed else max(generation, 1)
        return new

    async def _store(self, key: tuple[Any, str | None, str], new: dict[str, Any], event: str) -> None:
        if key in self.objects and not self.objects[key].deleted:
            self.objects[key].history.append(new)
        elif key in self.objects:
            self.objects[key].create(new)
        else:
            self.objects[key] = new
        await self._buses[key[0]].put({"type": event, "object": copy.deepcopy(new)})

    def _current(self, key: tuple[Any, str | None, str]) -> dict[str, Any] | None:
        if key in self.objects and not self.objects[key].deleted:
            raw: dict[str, Any] = copy.deepcopy(self.objects[key].raw)
            return raw
        return None

    async def _create(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        body = dict(request.data or {})
        key = self._key(request, body)
        async with self._lock:
            if self._current(key) is not None:
                return _status_error(409, "AlreadyExists", f'{key[0].plural} "{key[2]}" already exists')
            new = self._stamp(copy.deepcopy(body), None, key[1])
            await self._store(key, new, "ADDED")
        return aiohttp.web.json_response(new, status=201)

    async def _replace(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        body = dict(request.data or {})
        key = self._key(request, body)
        async with self._lock:
            old = self._current(key)
            if old is None:
                return _status_error(404, "NotFound", f'{key[0].plural} "{key[2]}" not found')
            sent_version = (body.get("metadata") or {}).get("resourceVersion")
            if sent_version and sent_version != old["metadata"].get("resourceVersion"):
                return _status_error(409, "Conflict", "the object has been modified; please apply your changes")
            new = copy.deepcopy(body)
            if request.subresource == "status":
                new = {**old, "status": body.get("status")}
            elif "status" in old and "status" not in new:
                new["status"] = old["status"]
            new = self._stamp(new, old, key[1])
            await self._store(key, new, "MODIFIED")
        return aiohttp.web.json_response(new)

    async def _patch(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        key = self._key(request)
        async with self._lock:
            old = self._current(key)
            if content_type == APPLY:
                applied = dict(request.data or {})
                new = copy.deepcopy(applied)
                if old is not None:
                    # The manager owns what it applied: fields it dropped are gone; status is the server's.
                    new["metadata"] = {**old.get("metadata", {}), **applied.get("metadata", {})}
                    if "status" in old:
                        new["status"] = old["status"]
                new = self._stamp(new, old, key[1])
                await self._store(key, new, "ADDED" if old is None else "MODIFIED")
                return aiohttp.web.json_response(new, status=201 if old is None else 200)
            if old is None:
                return _status_error(404, "NotFound", f'{key[0].plural} "{key[2]}" not found')
            patch = request.data
            if content_type == JSON_PATCH:
                new = dict(dicts.json_patch_dict(old, patch))
            else:
                sent_version = ((patch or {}).get("metadata") or {}).get("resourceVersion")
                if sent_version and sent_version != old["metadata"].get("resourceVersion"):
                    return _status_error(409, "Conflict", "the object has been modified; please apply your changes")
                scope = {"status": (patch or {}).get("status")} if request.subresource == "status" else patch
                new = dict(dicts.merge_patch_dict(old, _without_directives(scope or {})))
            new = self._stamp(new, old, key[1])
            await self._store(key, new, "MODIFIED")
        return aiohttp.web.json_response(new)

    # -- openapi ----------------------------------------------------------------

    def _openapi_index(self) -> dict[str, Any]:
        paths = {
            _gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}?hash=0"} for g, v in OPENAPI_KINDS
        }
        return {"paths": paths}

    def _openapi_document(self, gv: str) -> dict[str, Any]:
        paths: dict[str, Any] = {}
        for (group, version), kinds in OPENAPI_KINDS.items():
            if _gv_path(group, version) != gv:
                continue
            for plural, kind in kinds:
                paths[f"/{gv}/namespaces/{{namespace}}/{plural}/{{name}}"] = {
                    "patch": {
                        "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
                        "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                        "responses": {},
                    }
                }
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.31.2"}, "paths": paths}


def _without_directives(patch: Any) -> Any:
    """A strategic merge patch without its ``$``-directives, applied as a plain merge."""
    if isinstance(patch, dict):
        return {k: _without_directives(v) for k, v in patch.items() if not str(k).startswith("$")}
    return patch
