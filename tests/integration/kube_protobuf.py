"""Just enough of the Kubernetes protobuf encoding to read the Secrets helm writes.

client-go sends built-in objects of its typed clients (helm's release storage
uses one for Secrets) as ``application/vnd.kubernetes.protobuf``: the magic
``k8s\\0`` and a ``runtime.Unknown`` envelope around the object's message. The
emulator stores JSON, so it turns those bodies into the JSON the object would
have been sent as; it answers in JSON, which the same clients accept.

Field numbers are those of k8s.io/api core/v1 ``Secret`` and apimachinery's
``ObjectMeta``; unknown fields are skipped, as protobuf readers do.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of one message; length-delimited values as bytes."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
            yield number, value
        elif wire == 2:
            size, at = _varint(data, at)
            yield number, data[at : at + size]
            at += size
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        else:
            raise ValueError(f"protobuf wire type {wire} is not supported")


def _text(value: int | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entry(value: int | bytes) -> tuple[str, bytes]:
    key, item = "", b""
    for number, part in fields(value if isinstance(value, bytes) else b""):
        if number == 1:
            key = _text(part)
        elif number == 2 and isinstance(part, bytes):
            item = part
    return key, item


def object_meta(data: bytes) -> dict[str, Any]:
    """ObjectMeta: the fields helm sets (name, namespace, labels, resourceVersion)."""
    meta: dict[str, Any] = {}
    names = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    for number, value in fields(data):
        if number in names:
            meta[names[number]] = _text(value)
        elif number in (11, 12):
            key, item = _entry(value)
            meta.setdefault("labels" if number == 11 else "annotations", {})[key] = item.decode()
    return meta


def secret(data: bytes) -> dict[str, Any]:
    """A core/v1 Secret message as its JSON form (data values base64, as the API shows them)."""
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {}}
    for number, value in fields(data):
        if number == 1 and isinstance(value, bytes):
            body["metadata"] = object_meta(value)
        elif number == 2:
            key, item = _entry(value)
            body.setdefault("data", {})[key] = base64.b64encode(item).decode()
        elif number == 3:
            body["type"] = _text(value)
    return body


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf request body as JSON; only Secrets are understood, anything else is refused."""
    if not body.startswith(MAGIC):
        raise ValueError("not a Kubernetes protobuf body (no k8s magic)")
    kind, raw = "", b""
    for number, value in fields(body[len(MAGIC) :]):
        if number == 1 and isinstance(value, bytes):
            kind = next((_text(v) for n, v in fields(value) if n == 2), "")
        elif number == 2 and isinstance(value, bytes):
            raw = value
    if kind != "Secret":
        raise ValueError(f"the emulator decodes protobuf Secrets only, not {kind or 'an unknown kind'}")
    return secret(raw)
