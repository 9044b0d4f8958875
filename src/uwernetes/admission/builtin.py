"""Built-in mutating admission plugins enabled by default in v1.30 that shape every pod:
ServiceAccount, DefaultTolerationSeconds and Priority.

(SecurityContextDeny is gone in v1.30: there is deliberately no such plugin.)
"""

from __future__ import annotations

import asyncio

from uwernetes.apiserver.resources.base import Context, Obj, ResourceType
from uwernetes.machinery import errors
from uwernetes.machinery.meta import generate_name

TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
DEFAULT_TOLERATION_SECONDS = 300
SYSTEM_PRIORITY_CLASSES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
SA_WAIT_SECONDS = 2.0


def _suffix() -> str:
    return generate_name("")


def token_volume(name: str) -> dict:
    """The projected volume the ServiceAccount plugin adds (`kube-api-access-xxxxx`)."""
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
            ],
        },
    }


def _pod_spec_containers(spec: dict) -> list[dict]:
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


class PodAdmission:
    def __init__(self, registry) -> None:
        self.registry = registry

    async def __call__(self, rt: ResourceType, op: str, new: Obj | None, old: Obj | None, ctx: Context) -> None:
        if rt.group != "" or rt.plural != "pods" or op != "CREATE" or new is None or ctx.subresource:
            return
        spec = new.setdefault("spec", {})
        namespace = (new.get("metadata") or {}).get("namespace") or ""
        await self._service_account(spec, namespace, new)
        self._tolerations(spec)
        self._priority(spec)

    async def _service_account(self, spec: dict, namespace: str, pod: Obj) -> None:
        # Mirror pods (static pods) are left alone upstream; they carry this annotation.
        if "kubernetes.io/config.mirror" in ((pod.get("metadata") or {}).get("annotations") or {}):
            return
        name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        spec["serviceAccountName"] = name
        spec["serviceAccount"] = name
        sa = await self._find_service_account(namespace, name)
        if sa is None:
            raise errors.StatusError(
                403, "Forbidden",
                f'pods "{(pod.get("metadata") or {}).get("name") or (pod.get("metadata") or {}).get("generateName") or ""}" is forbidden: '
                f'error looking up service account {namespace}/{name}: serviceaccount "{name}" not found',
                {"name": (pod.get("metadata") or {}).get("name", ""), "kind": "pods"},
            )
        automount = spec.get("automountServiceAccountToken")
        if automount is None:
            automount = sa.get("automountServiceAccountToken")
        if automount is False:
            return
        containers = _pod_spec_containers(spec)
        if any(m.get("mountPath") == TOKEN_MOUNT_PATH for c in containers for m in c.get("volumeMounts") or ()):
            return
        volume_name = f"kube-api-access-{_suffix()}"
        spec.setdefault("volumes", []).append(token_volume(volume_name))
        for c in containers:
            c.setdefault("volumeMounts", []).append({"name": volume_name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH})

    async def _find_service_account(self, namespace: str, name: str) -> dict | None:
        sa_rt = self.registry.resource("", "v1", "serviceaccounts")
        if sa_rt is None:
            return {}
        cache = await self.registry.cache(sa_rt)
        key = sa_rt.key(namespace, name)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (SA_WAIT_SECONDS if name == "default" else 0)
        while True:
            entry = cache.get(key)
            if entry is not None:
                return entry.obj
            # The default account appears moments after its namespace; give it that moment.
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.05)

    @staticmethod
    def _tolerations(spec: dict) -> None:
        tolerations = spec.setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if any(
                (t.get("key") == key or (not t.get("key") and t.get("operator") == "Exists"))
                and t.get("effect") in (None, "", "NoExecute")
                for t in tolerations
            ):
                continue
            tolerations.append(
                {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": DEFAULT_TOLERATION_SECONDS}
            )

    @staticmethod
    def _priority(spec: dict) -> None:
        name = spec.get("priorityClassName")
        if name in SYSTEM_PRIORITY_CLASSES:
            spec.setdefault("priority", SYSTEM_PRIORITY_CLASSES[name])
        else:
            spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
