"""A small kopf operator for the `widgets.eco.example.com` CRD, run by the e2e tests as
`python -m kopf run tests/e2e/kopf_operator.py --namespace=...` with KUBECONFIG set.

Each Widget gets a ConfigMap `<name>-data` holding its spec's `message` (after `spec.failures`
failed attempts, which kopf retries); the handlers patch the Widget's status and post events; deleting a Widget removes its ConfigMap and records a
`<name>-farewell` ConfigMap before kopf releases its finalizer.
"""

from __future__ import annotations

import os

import kopf
import kubernetes

GROUP, VERSION, PLURAL = "eco.example.com", "v1", "widgets"


def _core() -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(os.environ["KUBECONFIG"]))


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_) -> None:
    # Retry quickly: the tests wait with deadlines, not with kopf's default backoffs.
    settings.batching.error_delays = (0.2, 0.5, 1)
    settings.posting.default_backoffs = (0.2, 0.5, 1)


@kopf.on.create(GROUP, VERSION, PLURAL, backoff=0.5)
def create_fn(body, spec, name, namespace, patch, logger, retry, **_) -> dict:
    # `failures` makes the first attempts fail: kopf keeps its retry state in the status meanwhile.
    if retry < spec.get("failures", 0):
        raise kopf.TemporaryError(f"attempt {retry} fails on purpose", delay=0.1)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-data"},
          "data": {"message": spec.get("message", "")}}
    kopf.adopt(cm, owner=body)
    _core().create_namespaced_config_map(namespace, cm)
    patch.status["phase"] = "Ready"
    kopf.info(body, reason="ConfigMapCreated", message=f"created {name}-data")
    logger.info("created %s-data", name)
    return {"configmap": f"{name}-data", "retries": retry}


@kopf.on.update(GROUP, VERSION, PLURAL, field="spec.message", backoff=0.5)
def update_fn(body, old, new, name, namespace, patch, **_) -> dict:
    _core().patch_namespaced_config_map(f"{name}-data", namespace, {"data": {"message": new or ""}})
    patch.status["phase"] = "Updated"
    kopf.info(body, reason="ConfigMapUpdated", message=f"{old!r} -> {new!r}")
    return {"previous": old}


@kopf.on.delete(GROUP, VERSION, PLURAL, backoff=0.5)
def delete_fn(body, name, namespace, uid, **_) -> None:
    core = _core()
    core.delete_namespaced_config_map(f"{name}-data", namespace)
    farewell = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-farewell"},
                "data": {"uid": uid}}
    core.create_namespaced_config_map(namespace, farewell)
