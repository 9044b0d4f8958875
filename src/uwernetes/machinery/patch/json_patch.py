"""RFC 6902 JSON patch as the v1.30 apiserver applies it.

Mirrors `github.com/evanphx/json-patch` v4.12.0 (what k8s.io/apiserver v0.30 links) including its
departures from the RFC, and the error mapping of `jsonPatcher.applyJSPatch` in
k8s.io/apiserver `pkg/endpoints/handlers/patch.go`:

- a body that does not decode as a list of operations: 400 `error decoding patch: ...` (the
  handler decodes strictly first, because fieldValidation defaults to Warn);
- more than 10000 operations: 413;
- any failure while applying (a failed `test`, a missing path, a bad index, an unknown op): 422
  with reason Invalid and the fixed text of `NewGenericServerResponse`, which drops evanphx's
  message (the message is kept on the exception's `__cause__` for logs) and always sets
  `details`, empty here (no group, kind, name or causes), so clients see `"details":{}`.

Quirks kept from evanphx v4: `replace` of a missing object key adds it, negative array indices
count from the end, `copy` from a missing object key copies null, `add` without `value` adds null,
a path's first segment is never looked at (`a/b` acts as `/b`), `test` compares numbers by their
JSON text (`1` is not `1.0`), and `test` with `value: null` passes on a missing key.

The input document is never mutated: containers on the path of an operation are copied once and
then edited in place; everything else is shared with `doc`.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from uwernetes.machinery import errors

MAX_OPERATIONS = 10000
# k8s.io/apiserver `server.Config.JSONPatchMaxCopyBytes` default, installed as evanphx's
# AccumulatedCopySizeLimit.
MAX_COPY_BYTES = 3 * 1024 * 1024

_INT = re.compile(r"[+-]?[0-9]+\Z")
_MISSING = object()

# Go's `reflect.Type.String()` of what `encoding/json` found, for decode messages.
_JSON_KIND = {dict: "object", list: "array", str: "string", bool: "bool", int: "number", float: "number"}


class JsonPatchError(Exception):
    """evanphx's error text; upstream does not show it to clients (see module doc)."""


def rejected() -> errors.StatusError:
    """`NewGenericServerResponse(422, ...)`: what clients see for any apply failure."""
    return errors.StatusError(422, "Invalid", "the server rejected our request due to an error in our request", {})


def apply_json_patch(doc: dict, patch: Any) -> dict:
    """Apply the decoded `application/json-patch+json` body `patch` to `doc`; returns a new doc."""
    ops = _decode(patch)
    if len(ops) > MAX_OPERATIONS:
        raise errors.request_entity_too_large(
            f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, got {len(ops)}"
        )
    state = _State(doc)
    try:
        for op in ops:
            state.apply(op)
    except JsonPatchError as e:
        raise rejected() from e
    return state.root


def _decode(patch: Any) -> list[dict | None]:
    """`kjson.UnmarshalStrict(body, &[]jsonPatchOp{})`: the shape check the handler runs first."""
    if patch is None:
        return []
    if not isinstance(patch, list):
        raise _decode_error(patch, "[]handlers.jsonPatchOp")
    for op in patch:
        if op is None:
            continue
        if not isinstance(op, dict):
            raise _decode_error(op, "handlers.jsonPatchOp")
        for name in ("op", "path", "from"):
            v = op.get(name)
            if v is not None and not isinstance(v, str):
                raise errors.bad_request(
                    f"error decoding patch: json: cannot unmarshal {_JSON_KIND[type(v)]} "
                    f"into Go struct field jsonPatchOp.{name} of type string"
                )
    return patch


def _decode_error(value: Any, go_type: str) -> errors.StatusError:
    return errors.bad_request(
        f"error decoding patch: json: cannot unmarshal {_JSON_KIND[type(value)]} into Go value of type {go_type}"
    )


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _atoi(key: str) -> int | None:
    return int(key) if _INT.match(key) else None


def _deep_copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_deep_copy(x) for x in v]
    return v


def json_equal(a: Any, b: Any) -> bool:
    """evanphx's `lazyNode.equal`: structural for containers, textual for scalars."""
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        for k, v in a.items():
            if k not in b or not json_equal(v, b[k]):
                return False
        return True
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return False
        return all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    # `1` and `1.0`, `true` and `1` differ as JSON text.
    return type(a) is type(b) and a == b


class _State:
    """The document being patched, with copy-on-write of the containers an operation touches."""

    def __init__(self, doc: Any) -> None:
        self.root = doc
        self._owned: dict[int, Any] = {}  # id -> container we created (kept alive: ids stay unique)
        self._copied = 0

    def _own(self, container: Any) -> Any:
        if id(container) in self._owned:
            return container
        fresh = dict(container) if isinstance(container, dict) else list(container)
        self._owned[id(fresh)] = fresh
        return fresh

    def _find(self, path: str) -> tuple[Any, str] | None:
        """evanphx `findObject`: the owned parent container of `path` and the last token."""
        split = path.split("/")
        if len(split) < 2:
            return None
        self.root = node = self._own(self.root)
        for part in split[1:-1]:
            key = _unescape(part)
            if isinstance(node, dict):
                nxt = node.get(key)
            else:
                i = _index(node, key, len(node))
                nxt = node[i] if i is not None and i < len(node) else None
            if not isinstance(nxt, (dict, list)):
                return None
            owned = self._own(nxt)
            if owned is not nxt:
                node[key if isinstance(node, dict) else i] = owned
            node = owned
        return node, _unescape(split[-1])

    def _get(self, con: Any, key: str, path: str) -> Any:
        if isinstance(con, dict):
            return con.get(key)  # missing and null are the same to evanphx
        i = _index(con, key, len(con))
        if i is None or i >= len(con):
            raise JsonPatchError(f"Unable to access invalid index: {key}")
        return con[i]

    def _add(self, con: Any, key: str, value: Any, path: str) -> None:
        if isinstance(con, dict):
            con[key] = value
            return
        if key == "-":
            con.append(value)
            return
        if _atoi(key) is None:
            raise JsonPatchError(f"error in add for path: '{path}': value was not a proper array index: '{key}'")
        i = _index(con, key, len(con) + 1)
        if i is None or i > len(con):
            raise JsonPatchError(f"error in add for path: '{path}': Unable to access invalid index: {key}")
        con.insert(i, value)

    def _remove(self, con: Any, key: str, path: str) -> None:
        if isinstance(con, dict):
            if key not in con:
                raise JsonPatchError(
                    f"error in remove for path: '{path}': Unable to remove nonexistent key: {key}: missing value"
                )
            del con[key]
            return
        i = _index(con, key, len(con))
        if i is None or i >= len(con):
            raise JsonPatchError(f"error in remove for path: '{path}': Unable to access invalid index: {key}")
        del con[i]

    def _operand(self, op: dict, name: str, kind: str) -> str:
        v = op.get(name)
        if v is None:
            raise JsonPatchError(f"{kind} operation failed to decode {name}")
        return v

    def _locate(self, path: str, what: str, quote: bool = False) -> tuple[Any, str]:
        found = self._find(path)
        if found is None:
            shown = f'"{path}"' if quote else path
            raise JsonPatchError(f"{what}: {shown}: missing value")
        return found

    def apply(self, op: dict | None) -> None:
        kind = (op or {}).get("op") or "unknown"
        if op is None or kind not in _OPS:
            raise JsonPatchError(f"Unexpected kind: {kind}")
        getattr(self, "_op_" + kind)(op)

    def _op_add(self, op: dict) -> None:
        path = self._operand(op, "path", "add")
        con, key = self._locate(path, "add operation does not apply: doc is missing path", quote=True)
        self._add(con, key, _deep_copy(op.get("value")), path)

    def _op_remove(self, op: dict) -> None:
        path = self._operand(op, "path", "remove")
        con, key = self._locate(path, "remove operation does not apply: doc is missing path", quote=True)
        self._remove(con, key, path)

    def _op_replace(self, op: dict) -> None:
        path = self._operand(op, "path", "replace")
        value = op.get("value", _MISSING)
        if path == "":
            if not isinstance(value, (dict, list)):
                raise JsonPatchError("replace operation value must be object or array")
            self.root = _deep_copy(value)
            return
        con, key = self._locate(path, "replace operation does not apply: doc is missing path")
        if isinstance(con, list):
            try:
                self._get(con, key, path)
            except JsonPatchError:
                raise JsonPatchError(f"replace operation does not apply: doc is missing key: {path}") from None
            con[_index(con, key, len(con))] = _deep_copy(None if value is _MISSING else value)
        else:
            con[key] = _deep_copy(None if value is _MISSING else value)

    def _op_move(self, op: dict) -> None:
        frm = self._operand(op, "from", "move")
        con, key = self._locate(frm, "move operation does not apply: doc is missing from path")
        val = self._get(con, key, frm)
        self._remove(con, key, frm)
        path = self._operand(op, "path", "move")
        con, key = self._locate(path, "move operation does not apply: doc is missing destination path")
        self._add(con, key, val, path)

    def _op_copy(self, op: dict) -> None:
        frm = self._operand(op, "from", "copy")
        con, key = self._locate(frm, "copy operation does not apply: doc is missing from path")
        val = self._get(con, key, frm)
        path = self._operand(op, "path", "copy")
        con, key = self._locate(path, "copy operation does not apply: doc is missing destination path")
        if val is not None:
            self._copied += len(orjson.dumps(val))
            if self._copied > MAX_COPY_BYTES:
                raise JsonPatchError(
                    "Unable to complete the copy, the accumulated size increase of copy is "
                    f"{self._copied}, exceeding the limit {MAX_COPY_BYTES}"
                )
        self._add(con, key, _deep_copy(val), path)

    def _op_test(self, op: dict) -> None:
        path = self._operand(op, "path", "test")
        value = op.get("value", _MISSING)
        if path == "":
            if value is not _MISSING and json_equal(self.root, value):
                return
            raise JsonPatchError(f"testing value {path} failed: test failed")
        found = self._find(path)
        if found is None:
            raise JsonPatchError(f"test operation does not apply: is missing path: {path}: missing value")
        con, key = found
        val = self._get(con, key, path)
        if val is None:
            # evanphx panics when `value` is absent here; failing is the closest honest answer.
            if value is None:
                return
        elif value is not _MISSING and value is not None and json_equal(val, value):
            return
        raise JsonPatchError(f"testing value {path} failed: test failed")


_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


def _index(con: list, key: str, size: int) -> int | None:
    """evanphx's index rule: Atoi, negative counts back from `size`; None if unusable."""
    i = _atoi(key)
    if i is None:
        return None
    if i < 0:
        if i < -size:
            return None
        i += size
    return i
