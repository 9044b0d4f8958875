"""HTTP handlers for resource requests: decode, call the registry, encode. No kind-specific logic
lives here beyond dispatching subresources to the helpers that own them."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Callable
from typing import Any

import orjson

from uwernetes.apiserver import negotiation, tables
from uwernetes.apiserver.http import OMIT_MANAGED_FIELDS, Request, Response, Send, warning_header
from uwernetes.apiserver.registry import DeleteOptions, Registry
from uwernetes.apiserver.request_info import RequestInfo
from uwernetes.apiserver.resources.base import Context, Obj, ResourceType
from uwernetes.machinery import errors, field
from uwernetes.machinery.selectors import parse_field_selector, parse_label_selector
from uwernetes.storage.interface import DELETED, Compacted, Event, FutureRevision
from uwernetes.storage.watch_cache import TooOld

log = logging.getLogger(__name__)

DEFAULT_WATCH_TIMEOUT = 1800  # upstream's min-request-timeout; a random factor 1-2 is applied
BOOKMARK_INTERVAL = 60.0

SubresourceHandler = Callable[[Request, RequestInfo, ResourceType, Send], Any]


def _continue_token(rev: int, key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": "meta.k8s.io/v1", "rv": rev, "start": key})).decode().rstrip("=")


def _parse_continue(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        return int(data["rv"]), str(data["start"])
    except Exception:
        raise errors.bad_request(f"invalid value for continue: {token!r}") from None


# The scheme every built-in kind is registered in, as upstream names it in decode errors.
LEGACY_SCHEME = "pkg/api/legacyscheme/scheme.go:30"


def _summarize(body: bytes, limit: int = 30) -> str:
    """Upstream's summarizeData: JSON-looking bodies verbatim, anything else as hex."""
    if not body:
        return "<empty>"
    if body[:1] == b"{":
        text = body[:limit].decode("utf-8", "replace")
        return text + " ..." if len(body) > limit else text
    return body[:limit].hex() + (" ..." if len(body) > limit else "")


def info_kind_is_own(rt: ResourceType, kind: str) -> bool:
    """Whether a body is of the resource's own kind (a scale body is not)."""
    return kind == rt.kind


class ResourceHandlers:
    def __init__(self, registry: Registry, strict: Any = None) -> None:
        self.registry = registry
        self.strict = strict  # module with unknown_fields/strict_error, when available
        self.subresources: dict[tuple[str, str, str], SubresourceHandler] = {}

    # --- helpers ---

    def _ctx(self, req: Request, dry_run: bool = False, subresource: str = "") -> Context:
        return self.registry.context(user=req.user, groups=req.groups, dry_run=dry_run, subresource=subresource)

    @staticmethod
    def _field_manager(req: Request) -> str:
        return field_manager_of(req)

    @staticmethod
    def _check_write_options(req: Request, kind: str) -> None:
        """ValidateCreateOptions / ValidateUpdateOptions on the query: a 422 on `<kind>.meta.k8s.io`.
        (Patches check their PatchOptions in apiserver.patching, in upstream's order.)"""
        from uwernetes.apiserver import patching

        errs = patching.validate_write_options(req.query)
        if errs:
            raise errors.invalid(kind, "", errs, "meta.k8s.io")

    @staticmethod
    def _dry_run(req: Request) -> bool:
        return bool(req.query.get("dryRun"))

    def _respond(self, req: Request, rt: ResourceType, obj: Obj, code: int = 200, warnings: list[str] | None = None,
                 stored: bool = True) -> Response:
        accept = negotiation.parse_accept(req.headers.get("accept"))
        headers = [(b"warning", warning_header(w)) for w in warnings or ()]
        if (stored and accept.media == negotiation.JSON and not accept.table and not accept.partial and code < 300
                and not req.query.get("dryRun")):
            # What was just written (or read) is in the cache as JSON already.
            m = obj.get("metadata") or {}
            raw = self.registry.get_raw_at(rt, m.get("namespace") or None, m.get("name") or "", m.get("resourceVersion") or "")
            if raw is not None:
                return Response(code, raw, "application/json", headers)
        if accept.table:
            body = tables.table(rt, [obj], req.q("includeObject") or "Metadata", accept.table)
            body["metadata"] = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")}
            return Response(code, orjson.dumps(body), "application/json;as=Table;v=" + accept.table.split("/")[1] + ";g=meta.k8s.io", headers)
        if accept.partial:
            body = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata") or {}}
            return Response(code, orjson.dumps(body), "application/json", headers)
        return Response(code, negotiation.encode(obj, accept.media), accept.media, headers)

    def _decode_body(self, req: Request, rt: ResourceType, info: RequestInfo) -> tuple[Obj, list[str]]:
        """Decode, check apiVersion/kind against the URL, and apply fieldValidation."""
        expected_kind, expected_av = rt.kind, rt.api_version
        if info.subresource == "scale":
            expected_kind, expected_av = "Scale", "autoscaling/v1"
        try:
            data = negotiation.decode_object(req.body, req.headers.get("content-type"))
        except errors.StatusError as e:
            if e.code != 400:
                raise
            # Upstream's transformDecodeError: no kind could be read, so the body is summarized.
            # sigs.k8s.io/yaml's YAMLToJSON (used there) does not add the "error converting" prefix.
            cause = e.message.removeprefix("error converting YAML to JSON: ")
            raise errors.bad_request(
                f"the object provided is unrecognized (must be of type {expected_kind}): {cause} ({_summarize(req.body)})"
            ) from None
        if not isinstance(data, dict):
            raise errors.bad_request(
                f"Object '{'Kind' if data is None else 'Kind'}' is missing in '{req.body[:200].decode('utf-8', 'replace')}'"
            )
        if rt.builtin:
            self._check_value_types(data, expected_kind, expected_av, req.body)
        kind = data.get("kind")
        av = data.get("apiVersion")
        if (av and av != expected_av) or (kind and kind != expected_kind):
            data_av, data_kind = av or expected_av, kind or expected_kind
            version = data_av.rpartition("/")[2]
            known = info.subresource == "scale" or any(
                r.api_version == data_av and r.kind == data_kind for r in self.registry.resources
            )
            if not known:
                raise errors.bad_request(
                    f'{data_kind} in version "{version}" cannot be handled as a {expected_kind}: '
                    f'no kind "{data_kind}" is registered for version "{data_av}" in scheme "{LEGACY_SCHEME}"'
                )
            if data_kind == expected_kind:
                raise errors.bad_request(
                    f"the API version in the data ({data_av}) does not match the expected API version ({expected_av})"
                )
            raise errors.bad_request(
                f'{data_kind} in version "{version}" cannot be handled as a {expected_kind}: '
                f"converting ({version}.{data_kind}) to ({rt.group or 'core'}.{expected_kind}): unknown conversion"
            )
        warnings = self._field_validation(req, rt, data, expected_kind, expected_av)
        return data, warnings

    def _check_value_types(self, data: Obj, expected_kind: str, expected_av: str, body: bytes) -> None:
        """Upstream decodes into the Go struct first: a value of the wrong JSON type is a 400
        (transformDecodeError), whatever fieldValidation says. A body of an unregistered kind is
        left to the checks after this one, which say so."""
        from uwernetes.machinery import typecheck

        problem = typecheck.interpret_error(data)
        if problem is not None:
            raise errors.bad_request(
                f"the object provided is unrecognized (must be of type {expected_kind}): {problem} ({_summarize(body)})"
            )
        av = data.get("apiVersion") or expected_av
        kind = data.get("kind") or expected_kind
        if (av, kind) != (expected_av, expected_kind) and not any(
            r.api_version == av and r.kind == kind for r in self.registry.resources
        ):
            return
        group, _, version = av.rpartition("/")
        raw = body if body.lstrip()[:1] == b"{" else None
        text = typecheck.first_type_error(data, group, version, kind, raw)
        if text is not None:
            raise errors.bad_request(f'{kind} in version "{version}" cannot be handled as a {expected_kind}: {text}')

    def _field_validation(self, req: Request, rt: ResourceType, data: Obj, kind: str, api_version: str) -> list[str]:
        mode = req.q("fieldValidation") or "Warn"
        if mode not in ("Strict", "Warn", "Ignore"):
            raise errors.bad_request(f"invalid fieldValidation directive: {mode}")
        unknown_fields = getattr(rt.strategy, "unknown_fields", None)
        if unknown_fields is not None and info_kind_is_own(rt, kind):
            # Custom resources: unknown means what the CRD's structural schema would prune.
            problems = [] if mode == "Ignore" else [f'unknown field "{p}"' for p in unknown_fields(data)]
            if problems and mode == "Strict" and self.strict is not None:
                raise self.strict.strict_error(kind, api_version, problems)
            return self.strict.warnings(problems) if problems and self.strict is not None else []
        if self.strict is None:
            return []
        group, _, version = api_version.rpartition("/")
        problems: list[str] = []
        if mode != "Ignore":
            is_json = negotiation.media_type(req.headers.get("content-type")) == negotiation.JSON
            problems = self.strict.problems(req.body, data, group, version, kind, is_json)
        if problems or mode == "Ignore":
            self.strict.prune_unknown(data, group, version, kind)
        if not problems:
            return []
        if mode == "Strict":
            raise self.strict.strict_error(kind, api_version, problems)
        return self.strict.warnings(problems)

    @staticmethod
    def _parse_rv(value: str | None) -> int | None:
        if value in (None, ""):
            return None
        try:
            rv = int(value)
        except ValueError:
            raise errors.bad_request(f'Invalid value: "{value}": resourceVersion is not a valid integer') from None
        if rv < 0:
            raise errors.bad_request("resourceVersion must be a non-negative integer")
        return rv

    # --- verbs ---

    async def get(self, req: Request, info: RequestInfo, rt: ResourceType) -> Response:
        ns = info.namespace or None
        accept = negotiation.parse_accept(req.headers.get("accept"))
        if accept.media == negotiation.JSON and not accept.table and not accept.partial:
            raw = self.registry.get_raw(rt, ns, info.name)
            if raw is not None:
                return Response(200, raw)
        obj = await self.registry.get(rt, ns, info.name)
        return self._respond(req, rt, obj)

    async def list(self, req: Request, info: RequestInfo, rt: ResourceType) -> Response:
        ns = info.namespace or None
        try:
            labels = parse_label_selector(req.q("labelSelector"))
            fields = parse_field_selector(req.q("fieldSelector"))
        except ValueError as e:
            raise errors.bad_request(str(e)) from None
        limit = int(req.q("limit") or 0)
        cont = req.q("continue") or ""
        rv_text = req.q("resourceVersion")
        rv = self._parse_rv(rv_text)
        match = req.q("resourceVersionMatch") or ""
        if match and match not in ("Exact", "NotOlderThan"):
            raise errors.bad_request(f'resourceVersionMatch: Unsupported value: "{match}": supported values: "Exact", "NotOlderThan"')
        if match and rv_text in (None, ""):
            raise errors.bad_request("resourceVersionMatch is forbidden unless resourceVersion is provided")
        if cont and rv_text not in (None, "", "0"):
            raise errors.bad_request("specifying resource version is not allowed when using continue")
        revision = 0
        start = ""
        if cont:
            revision, start = _parse_continue(cont)
        elif match == "Exact":
            revision = rv or 0
        try:
            if cont or match == "Exact":
                items, at, last_key, remaining = await self.registry.list(
                    rt, ns, labels, fields, limit, start, revision, from_cache=False
                )
            else:
                if rv_text == "0":
                    # Served from the watch cache, which in v1.30 ignores limit: the whole list, no continue.
                    limit = 0
                if rv and rv > self.registry.store.revision:
                    raise errors.StatusError(
                        504, "Timeout", f"Too large resource version: {rv}, current: {self.registry.store.revision}",
                        {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1},
                    )
                items, at, last_key, remaining = await self.registry.list(rt, ns, labels, fields, limit)
        except Compacted:
            if cont:
                raise errors.StatusError(
                    410, "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                ) from None
            raise errors.gone(f"too old resource version: {revision}") from None
        except FutureRevision as e:
            raise errors.StatusError(504, "Timeout", f"Too large resource version: {e.requested}, current: {e.current}") from None
        list_meta: dict[str, Any] = {"resourceVersion": str(at)}
        if last_key:
            list_meta["continue"] = _continue_token(at, last_key)
            if remaining is not None:
                list_meta["remainingItemCount"] = remaining
        accept = negotiation.parse_accept(req.headers.get("accept"))
        if accept.table:
            body = tables.table(rt, items, req.q("includeObject") or "Metadata", accept.table, list_meta)
            return Response(200, orjson.dumps(body), "application/json;as=Table;v=" + accept.table.split("/")[1] + ";g=meta.k8s.io")
        if accept.partial:
            body = {
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": list_meta,
                "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.get("metadata") or {}} for o in items],
            }
            return Response(200, orjson.dumps(body))
        body = {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": list_meta, "items": items}
        return Response(200, negotiation.encode(body, accept.media), accept.media)

    async def create(self, req: Request, info: RequestInfo, rt: ResourceType) -> Response:
        self._check_write_options(req, "CreateOptions")
        dry = self._dry_run(req)
        obj, warnings = self._decode_body(req, rt, info)
        created = await self.registry.create(rt, info.namespace or None, obj, self._ctx(req, dry), self._field_manager(req),
                                             owned=True)
        return self._respond(req, rt, created, 201, warnings)

    async def update(self, req: Request, info: RequestInfo, rt: ResourceType) -> Response:
        self._check_write_options(req, "UpdateOptions")
        dry = self._dry_run(req)
        obj, warnings = self._decode_body(req, rt, info)
        out, created = await self.registry.update(
            rt, info.namespace or None, info.name, obj, self._ctx(req, dry, info.subresource),
            self._field_manager(req), info.subresource,
        )
        return self._respond(req, rt, out, 201 if created else 200, warnings)

    async def patch(self, req: Request, info: RequestInfo, rt: ResourceType) -> Response:
        from uwernetes.apiserver import patching

        dry = self._dry_run(req)
        media = negotiation.media_type(req.headers.get("content-type"))
        apply_fn, create_fn = patching.patcher(req, rt, media, self._field_manager(req))
        warnings: list[str] = []
        if media != negotiation.APPLY_PATCH and self.strict is not None:
            from uwernetes.apiserver.patch_validation import validating

            mode = req.q("fieldValidation") or "Warn"
            apply_fn = validating(apply_fn, rt, media, req.body, mode, warnings)
        ctx = self._ctx(req, dry, info.subresource)
        ctx.apply = media == negotiation.APPLY_PATCH
        out, created = await self.registry.patch(
            rt, info.namespace or None, info.name, apply_fn, ctx,
            self._field_manager(req), info.subresource, create_missing=create_fn,
        )
        return self._respond(req, rt, out, 201 if created else 200, warnings)

    async def delete(self, req: Request, info: RequestInfo, rt: ResourceType) -> Response:
        options = self._delete_options(req)
        obj, deleted_now = await self.registry.delete(rt, info.namespace or None, info.name, options, self._ctx(req, options.dry_run))
        if deleted_now and not rt.strategy.return_deleted_object:
            m = obj.get("metadata") or {}
            body = errors.success_status(m.get("name", info.name), rt.group, rt.plural, m.get("uid", ""))
            return Response(200, orjson.dumps(body))
        return self._respond(req, rt, obj, stored=not options.dry_run)

    def _delete_options(self, req: Request) -> DeleteOptions:
        body = None
        if req.body.strip():
            data = negotiation.decode_object(req.body, req.headers.get("content-type"))
            if data is not None and not isinstance(data, dict):
                raise errors.bad_request("DeleteOptions must be an object")
            body = data
        body = dict(body or {})
        for key in ("propagationPolicy", "orphanDependents"):
            if key not in body and req.q(key) is not None:
                body[key] = req.q(key) if key == "propagationPolicy" else req.q(key) == "true"
        if "dryRun" not in body and req.query.get("dryRun"):
            body["dryRun"] = req.query["dryRun"]
        policy = body.get("propagationPolicy")
        if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
            bad = field.not_supported("propagationPolicy", policy, ["Foreground", "Background", "Orphan", "nil"])
            raise errors.invalid("DeleteOptions", "", [bad], "meta.k8s.io")
        grace = body.get("gracePeriodSeconds")
        try:
            return DeleteOptions.from_body(body, req.q("gracePeriodSeconds") if grace is None else None)
        except ValueError:
            raise errors.bad_request("gracePeriodSeconds must be an integer") from None

    async def delete_collection(self, req: Request, info: RequestInfo, rt: ResourceType) -> Response:
        if "deletecollection" not in rt.verbs:
            raise errors.method_not_supported(rt.plural, "deletecollection", rt.group)
        try:
            labels = parse_label_selector(req.q("labelSelector"))
            fields = parse_field_selector(req.q("fieldSelector"))
        except ValueError as e:
            raise errors.bad_request(str(e)) from None
        options = self._delete_options(req)
        items = await self.registry.delete_collection(rt, info.namespace or None, labels, fields, options, self._ctx(req, options.dry_run))
        body = {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": {}, "items": items}
        return Response(200, orjson.dumps(body))

    # --- watch ---

    async def watch(self, req: Request, info: RequestInfo, rt: ResourceType, send: Send) -> None:
        ns = info.namespace or None
        try:
            labels = parse_label_selector(req.q("labelSelector"))
            fields = parse_field_selector(req.q("fieldSelector"))
        except ValueError as e:
            raise errors.bad_request(str(e)) from None
        if info.name:
            from uwernetes.machinery.selectors import FieldRequirement, FieldSelector

            fields = FieldSelector((*fields.requirements, FieldRequirement("metadata.name", "=", info.name)))
        rv_text = req.q("resourceVersion")
        rv = self._parse_rv(rv_text)
        bookmarks = req.q_bool("allowWatchBookmarks") if req.q("allowWatchBookmarks") is not None else False
        send_initial = req.q("sendInitialEvents")
        if send_initial is not None:
            if not self.registry.features.enabled("WatchList"):
                raise errors.invalid("ListOptions", "", [
                    field.forbidden("sendInitialEvents", "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled")
                ], "meta.k8s.io")
            if req.q("resourceVersionMatch") != "NotOlderThan":
                raise errors.invalid("ListOptions", "", [
                    field.forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
                ], "meta.k8s.io")
        initial = send_initial == "true"
        timeout_q = req.q("timeoutSeconds")
        timeout = float(timeout_q) if timeout_q not in (None, "") else DEFAULT_WATCH_TIMEOUT * (1 + random.random())
        accept = negotiation.parse_accept(req.headers.get("accept"))
        after = None if (rv in (None, 0) or initial) else rv

        cache = None
        watcher = None
        error_event: bytes | None = None
        try:
            cache, watcher = await self.registry.watch(rt, ns, after, labels, fields)
        except TooOld as e:
            err = errors.too_old_resource_version(e.requested, e.oldest)
            error_event = b'{"type":"ERROR","object":' + orjson.dumps(err.status) + b"}\n"
        if initial and watcher is not None and rv:
            pass  # NotOlderThan rv: the cache is already at least that fresh in-process

        content_type = "application/json"
        if accept.table:
            content_type = "application/json;as=Table;v=" + accept.table.split("/")[1] + ";g=meta.k8s.io"
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", content_type.encode()), (b"cache-control", b"no-cache, private"), (b"transfer-encoding", b"chunked")],
        })
        if error_event is not None:
            await send({"type": "http.response.body", "body": error_event, "more_body": False})
            return

        first_table = [True]
        lean = bool((req.scope.get("extensions") or {}).get(OMIT_MANAGED_FIELDS))

        def encode(ev: Event) -> bytes:
            if accept.table:
                tbl = tables.table(rt, [ev.obj], req.q("includeObject") or "Metadata", accept.table,
                                   {"resourceVersion": str(ev.rev)}, with_columns=first_table[0])
                first_table[0] = False
                return orjson.dumps({"type": ev.type, "object": tbl}) + b"\n"
            obj = ev.obj
            if rt.from_storage is not None:
                return orjson.dumps({"type": ev.type, "object": rt.from_storage(obj)}) + b"\n"
            if accept.partial:
                return orjson.dumps({"type": ev.type, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata")}}) + b"\n"
            return ev.watch_line(lean)

        def bookmark(rev: int, initial_end: bool = False) -> bytes:
            md: dict[str, Any] = {"resourceVersion": str(rev)}
            if initial_end:
                md["annotations"] = {"k8s.io/initial-events-end": "true"}
            return orjson.dumps({"type": "BOOKMARK", "object": {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": md}}) + b"\n"

        disconnected = asyncio.Event()

        async def wait_disconnect() -> None:
            while True:
                message = await req.receive()
                if message["type"] == "http.disconnect":
                    disconnected.set()
                    watcher.close()
                    return

        listener = asyncio.create_task(wait_disconnect())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        next_bookmark = loop.time() + BOOKMARK_INTERVAL
        initial_pending = initial
        try:
            while not disconnected.is_set():
                now = loop.time()
                if now >= deadline:
                    break
                if not watcher.pending and not watcher.closed:
                    if initial_pending:
                        initial_pending = False
                        if bookmarks:
                            await send({"type": "http.response.body", "body": bookmark(cache.revision, True), "more_body": True})
                            continue
                    wait_for = min(deadline, next_bookmark if bookmarks else deadline) - now
                    try:
                        await asyncio.wait_for(watcher.wake.wait(), timeout=max(wait_for, 0))
                    except TimeoutError:
                        if bookmarks and loop.time() >= next_bookmark:
                            next_bookmark = loop.time() + BOOKMARK_INTERVAL
                            await send({"type": "http.response.body", "body": bookmark(cache.revision), "more_body": True})
                        continue
                events = watcher.drain()
                if events:
                    chunk = b"".join(encode(ev) for ev in events)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if watcher.closed:
                    if watcher.overflowed:
                        log.warning("watch of %s cut off: consumer too slow", rt.plural)
                    break
        except OSError:
            pass
        finally:
            listener.cancel()
            cache.unwatch(watcher)
        if not disconnected.is_set():
            try:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass


def field_manager_of(req: Request) -> str:
    """The request's field manager: its `fieldManager`, else its User-Agent's program name."""
    fm = req.q("fieldManager")
    if fm:
        return fm
    ua = req.headers.get("user-agent", "")
    return (ua.split("/", 1)[0] or "unknown")[:128]


__all__ = ["ResourceHandlers", "DELETED", "field_manager_of"]
