"""Subresources beyond status: scale and binding (log, exec and proxy come with the node agent)."""

from __future__ import annotations

import copy
from typing import Any

import orjson

from uwernetes.apiserver import negotiation, tables
from uwernetes.apiserver.http import Request, Response
from uwernetes.apiserver.registry import Registry
from uwernetes.apiserver.request_info import RequestInfo
from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Printer, ResourceType
from uwernetes.machinery import errors

SCALE_KIND = {"apiVersion": "autoscaling/v1", "kind": "Scale"}


def _scale_adapters() -> dict[tuple[str, str], Any]:
    """(group, plural) -> module with to_scale(obj) and apply_scale(obj, scale)."""
    out: dict[tuple[str, str], Any] = {}
    for module_name in ("deployments", "replicasets", "statefulsets", "replicationcontrollers"):
        try:
            module = __import__(f"uwernetes.apiserver.resources.{module_name}", fromlist=["to_scale"])
        except ImportError:
            continue
        for rt in (getattr(module, name) for name in dir(module)):
            if isinstance(rt, ResourceType) and rt.subresource("scale") is not None:
                out[(rt.group, rt.plural)] = module
    return out


def install(app: Any, registry: Registry) -> None:
    adapters = _scale_adapters()

    async def scale(req: Request, info: RequestInfo, rt: ResourceType, send) -> Response:
        # Custom resource types carry their own adapter (their paths come from the CRD).
        adapter = rt if hasattr(rt, "to_scale") else adapters.get((rt.group, rt.plural))
        if adapter is None:
            raise errors.not_found(rt.plural, info.name, rt.group)
        ns = info.namespace or None
        if info.verb == "get":
            obj = await registry.get(rt, ns, info.name)
            accept = negotiation.parse_accept(req.headers.get("accept"))
            if accept.table:
                body = tables.table(_SCALE_RT, [adapter.to_scale(obj)], req.q("includeObject") or "Metadata", accept.table)
                return Response(200, orjson.dumps(body),
                                "application/json;as=Table;v=" + accept.table.split("/")[1] + ";g=meta.k8s.io")
            return Response(200, orjson.dumps(adapter.to_scale(obj)))
        if info.verb not in ("update", "patch"):
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        media = negotiation.media_type(req.headers.get("content-type"))
        if info.verb == "update":
            body = negotiation.decode_object(req.body, media)
            if not isinstance(body, dict):
                raise errors.bad_request("Scale must be an object")
        else:
            # A patch body is checked and decoded by the patcher, in upstream's order.
            from uwernetes.apiserver import patching

            apply_patch, _ = patching.patcher(copy.copy(req), _SCALE_RT, media, "")

        def desired_scale(current_scale: dict) -> dict:
            if info.verb == "update":
                return body
            return apply_patch(current_scale)

        def mutate(obj: dict) -> dict:
            current_scale = adapter.to_scale(obj)
            new_scale = desired_scale(copy.deepcopy(current_scale))
            _validate_scale(rt, info.name, new_scale)
            want_rv = (new_scale.get("metadata") or {}).get("resourceVersion")
            if want_rv and want_rv != current_scale["metadata"].get("resourceVersion"):
                raise errors.conflict(rt.plural, info.name, errors.OBJECT_MODIFIED, rt.group)
            return adapter.apply_scale(obj, new_scale)

        from uwernetes.apiserver.handlers import field_manager_of

        ctx = registry.context(user=req.user, groups=req.groups, dry_run=bool(req.query.get("dryRun")),
                               subresource="scale")
        out, _ = await registry.patch(rt, ns, info.name, mutate, ctx, field_manager_of(req), "scale")
        return Response(200, orjson.dumps(adapter.to_scale(out)))

    async def binding(req: Request, info: RequestInfo, rt: ResourceType, send) -> Response:
        if info.verb != "create":
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        from uwernetes.apiserver.resources.pods import apply_binding

        body = negotiation.decode_object(req.body, req.headers.get("content-type"))
        if not isinstance(body, dict):
            raise errors.bad_request("Binding must be an object")
        name = (body.get("metadata") or {}).get("name") or info.name
        if name != info.name:
            raise errors.bad_request("name in URL does not match name in Binding object")
        ctx = registry.context(user=req.user, groups=req.groups, dry_run=bool(req.query.get("dryRun")))
        await registry.patch(rt, info.namespace or None, info.name, lambda pod: apply_binding(pod, body), ctx,
                             req.q("fieldManager") or "", "binding")
        status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
        return Response(201, orjson.dumps(status))

    async def finalize(req: Request, info: RequestInfo, rt: ResourceType, send) -> Response:
        if info.verb != "update":
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        return await app.handlers.update(req, info, rt)

    app.scale_handler = scale
    if registry.resource("", "v1", "namespaces") is not None:
        app.subresources[("", "namespaces", "finalize")] = finalize
    for rt in registry.resources:
        if rt.subresource("scale") is not None:
            app.subresources[(rt.group, rt.plural, "scale")] = scale
    pods = registry.resource("", "v1", "pods")
    if pods is not None:
        app.subresources[("", "pods", "binding")] = binding


def _validate_scale(rt: ResourceType, name: str, scale: dict) -> None:
    from uwernetes.machinery import field

    replicas = (scale.get("spec") or {}).get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        raise errors.invalid("Scale", name, [field.invalid("spec.replicas", replicas, "must be greater than or equal to 0")], "autoscaling")


def _scale_row(scale: dict) -> list[Any]:
    return [common.name_of(scale), (scale.get("spec") or {}).get("replicas", 0),
            (scale.get("status") or {}).get("replicas", 0), common.age(scale)]


# Upstream's Scale printer: `kubectl get deploy x --subresource=scale`.
_SCALE_PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Desired", type="integer", description="replicas is the desired number of instances for the scaled object."),
        Column("Available", type="integer",
               description="replicas is the actual number of observed instances of the scaled object."),
        common.age_column(),
    ],
    row=_scale_row,
)
_SCALE_RT = ResourceType(group="autoscaling", version="v1", kind="Scale", plural="scales", namespaced=True,
                         printer=_SCALE_PRINTER)
