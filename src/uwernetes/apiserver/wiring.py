"""Plugs the per-kind pieces (allocators, subresources, controllers) into a generic server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from uwernetes.apiserver.registry import Registry


class OpenAPIDocuments:
    """What `/openapi/v2` and `/openapi/v3` serve for one set of resources (rebuilt when it changes)."""

    def __init__(self, resource_types: list) -> None:
        from uwernetes.apiserver.openapi import OpenAPIV3
        from uwernetes.apiserver.openapi_v2 import OpenAPIV2

        self.v3 = OpenAPIV3(resource_types)
        self.v2 = OpenAPIV2(resource_types)


def openapi(registry: Registry) -> OpenAPIDocuments:
    return OpenAPIDocuments(list(registry.resources))


class _Strict:
    """fieldValidation support: unknown-field detection plus pruning, as Go decoding drops them."""

    def __init__(self) -> None:
        from uwernetes.machinery import strict

        self._m = strict

    def problems(self, raw: bytes, data: dict, group: str, version: str, kind: str, is_json: bool) -> list[str]:
        """Worded problems (`unknown field "spec.foo"`, `duplicate field "x"`) in upstream's order."""
        if is_json:
            return self._m.strict_problems(raw, group, version, kind)
        return self._m.problems(self._m.unknown_fields(data, group, version, kind))

    def strict_error(self, kind: str, api_version: str, problems: list[str]):
        return self._m.strict_error(kind, api_version, problems)

    def warnings(self, problems: list[str]) -> list[str]:
        return self._m.warnings(problems)

    def prune_unknown(self, obj: dict, group: str, version: str, kind: str) -> None:
        for path in self._m.unknown_fields(obj, group, version, kind):
            self._m.remove_field(obj, path)


def strict_module() -> Any:
    return _Strict()


def install(app: Any, registry: Registry) -> None:
    """Subresource handlers and allocation hooks for the kinds that need them."""
    from uwernetes.admission.builtin import PodAdmission
    from uwernetes.apiserver import eviction, subresources

    subresources.install(app, registry)
    eviction.install(app, registry)
    from uwernetes.apiserver import node_proxy

    node_proxy.install(app, registry)
    from uwernetes.apiserver import componentstatuses_handler

    componentstatuses_handler.install(app, registry)
    __import__("uwernetes.apiserver.bindings_handler", fromlist=["install"]).install(app, registry)
    __import__("uwernetes.apiserver.csr_approval", fromlist=["install"]).install(app, registry)
    __import__("uwernetes.apiserver.reviews", fromlist=["install"]).install(app, registry)
    registry.mutating.append(PodAdmission(registry))
    if registry.resource("", "v1", "services") is not None:
        from uwernetes.apiserver.allocators import ServiceAllocator

        registry.before_store[("", "services")] = ServiceAllocator(registry)


def controllers(registry: Registry, ca_pem: str = "") -> list[Callable[[], Awaitable[None]]]:
    """Namespace housekeeping loops `uwe up` runs beside the API server (the controller manager
    proper arrives with the workloads issue)."""
    from uwernetes.controllers import namespaces, rootca, serviceaccounts

    loops = [lambda: serviceaccounts.run(registry), lambda: namespaces.run(registry)]
    if ca_pem:
        loops.append(lambda: rootca.run(registry, ca_pem))
    return loops
