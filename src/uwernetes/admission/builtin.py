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
        if new is None or ctx.subresource:
            return
        if rt.group == "scheduling.k8s.io" and rt.plural == "priorityclasses" and op in ("CREATE", "UPDATE"):
            await self._check_single_global_default(new, op)
            return
        if rt.group != "" or rt.plural != "pods":
            return
        if op == "UPDATE" and old is not None:
            _keep_pod_priority(new, old)
            return
        if op != "CREATE":
            return
        spec = new.setdefault("spec", {})
        namespace = (new.get("metadata") or {}).get("namespace") or ""
        await self._service_account(spec, namespace, new)
        self._tolerations(spec)
        await self._priority(spec, new)

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

    # --- Priority (plugin/pkg/admission/priority) ---

    async def _priority_classes(self) -> list[dict] | None:
        """Stored PriorityClasses, or None when the API is not served (the plugin then falls back)."""
        rt = self.registry.resource("scheduling.k8s.io", "v1", "priorityclasses")
        if rt is None:
            return None
        cache = await self.registry.cache(rt)
        entries, _ = cache.list()
        return [e.obj for e in entries]

    async def _priority(self, spec: dict, pod: Obj) -> None:
        """admitPod on create: resolve spec.priorityClassName (or the global default) into
        spec.priority and spec.preemptionPolicy; a pod may not pick its own different numbers."""
        classes = await self._priority_classes()
        name = spec.get("priorityClassName") or ""
        policy: str | None
        if classes is None:
            spec.setdefault("priority", SYSTEM_PRIORITY_CLASSES.get(name, 0))
            spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
            return
        if not name:
            default = global_default_class(classes)
            if default is None:
                priority, policy = 0, "PreemptLowerPriority"
            else:
                spec["priorityClassName"] = default["metadata"]["name"]
                priority, policy = int(default.get("value") or 0), default.get("preemptionPolicy")
        else:
            pc = next((c for c in classes if (c.get("metadata") or {}).get("name") == name), None)
            if pc is None and name in SYSTEM_PRIORITY_CLASSES:
                # The built-in classes exist from startup upstream; until they are stored here,
                # answer with their fixed values instead of refusing system pods.
                pc = {"value": SYSTEM_PRIORITY_CLASSES[name], "preemptionPolicy": "PreemptLowerPriority"}
            if pc is None:
                raise _pod_forbidden(pod, f"no PriorityClass with name {name} was found")
            priority, policy = int(pc.get("value") or 0), pc.get("preemptionPolicy")
        if spec.get("priority") is not None and spec["priority"] != priority:
            raise _pod_forbidden(
                pod,
                f"the integer value of priority ({spec['priority']}) must not be provided in pod spec; "
                f"priority admission controller computed {priority} from the given PriorityClass name",
            )
        spec["priority"] = priority
        if policy is not None:
            if spec.get("preemptionPolicy") is not None and spec["preemptionPolicy"] != policy:
                raise _pod_forbidden(
                    pod,
                    f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must not be provided in pod "
                    f"spec; priority admission controller computed {policy} from the given PriorityClass name",
                )
            spec["preemptionPolicy"] = policy

    async def _check_single_global_default(self, pc: Obj, op: str) -> None:
        """validatePriorityClass: at most one class may be the global default."""
        if not pc.get("globalDefault"):
            return
        classes = await self._priority_classes() or []
        default = global_default_class(classes)
        name = (pc.get("metadata") or {}).get("name") or ""
        if default is not None and (op == "CREATE" or default["metadata"]["name"] != name):
            raise errors.forbidden(
                "priorityclasses", name,
                f"PriorityClass {default['metadata']['name']} is already marked as default. Only one default can exist",
                "scheduling.k8s.io",
            )


def global_default_class(classes: list[dict]) -> dict | None:
    """getDefaultPriorityClass: after a race left several defaults, the lowest value wins."""
    best = None
    for pc in classes:
        if pc.get("globalDefault") and (best is None or int(best.get("value") or 0) > int(pc.get("value") or 0)):
            best = pc
    return best


def _keep_pod_priority(new: Obj, old: Obj) -> None:
    """On update the plugin keeps what it set at create when a client leaves it out."""
    spec, old_spec = new.get("spec"), old.get("spec") or {}
    if not isinstance(spec, dict):
        return
    for key in ("priority", "preemptionPolicy"):
        if spec.get(key) is None and old_spec.get(key) is not None:
            spec[key] = old_spec[key]


def _pod_forbidden(pod: Obj, message: str) -> errors.StatusError:
    """admission.NewForbidden for a pod: the name, else generateName, else Unknown."""
    m = pod.get("metadata") or {}
    return errors.forbidden("pods", m.get("name") or m.get("generateName") or "Unknown", message)
