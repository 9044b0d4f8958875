"""Builders for scheduler tests (upstream `pkg/scheduler/testing/wrappers.go`, as functions); no tests here."""

from __future__ import annotations

from uwernetes.scheduler import framework


def make_pod(name: str = "p", namespace: str = "default", *, cpu: str | None = None, memory: str | None = None,
             priority: int | None = None, node_name: str = "", labels: dict | None = None,
             tolerations: list | None = None, node_selector: dict | None = None, affinity: dict | None = None,
             host_ports: list[int] | tuple = (), spread: list | None = None, gates: list[str] | tuple = (),
             init: list[dict] | None = None, overhead: dict | None = None, owner: dict | None = None,
             preemption_policy: str | None = None, start: str = "") -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: dict = {"name": "c", "image": "x"}
    if requests:
        container["resources"] = {"requests": requests}
    if host_ports:
        container["ports"] = [{"containerPort": p, "hostPort": p, "protocol": "TCP"} for p in host_ports]
    spec: dict = {"containers": [container], "schedulerName": "default-scheduler"}
    for key, value in (("priority", priority), ("nodeName", node_name or None), ("tolerations", tolerations),
                       ("nodeSelector", node_selector), ("affinity", affinity), ("topologySpreadConstraints", spread),
                       ("initContainers", init), ("overhead", overhead), ("preemptionPolicy", preemption_policy)):
        if value is not None:
            spec[key] = value
    if gates:
        spec["schedulingGates"] = [{"name": g} for g in gates]
    meta: dict = {"name": name, "namespace": namespace, "uid": f"uid-{name}", "labels": labels or {},
                  "creationTimestamp": start or "2024-01-01T00:00:00Z"}
    if owner:
        meta["ownerReferences"] = [{"controller": True, **owner}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"startTime": start} if start else {}}


def make_node(name: str = "n", *, cpu: str = "4", memory: str = "8Gi", pods: str = "110", labels: dict | None = None,
              taints: list | None = None, unschedulable: bool = False, extra: dict | None = None) -> dict:
    alloc = {"cpu": cpu, "memory": memory, "pods": pods, **(extra or {})}
    spec: dict = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": spec, "status": {"allocatable": alloc, "capacity": alloc}}


def node_info(node: dict, *pods: dict) -> framework.NodeInfo:
    return framework.make_node_info(node, [framework.PodInfo(p) for p in pods])


def pod_info(pod: dict) -> framework.PodInfo:
    return framework.PodInfo(pod)


def test_scheduler_events_are_reported_by_controller_and_host():
    import socket

    from uwernetes.scheduler.events import make_event

    pod = {"metadata": {"name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "3"}}
    ev = make_event(pod, "Normal", "Scheduled", "Binding", "Successfully assigned ns/p to n1", "default-scheduler")
    # client-go's recorder names the instance <controller>-<hostname>, as `get events -o wide` shows it.
    assert (ev["reportingComponent"], ev["reportingInstance"]) == (
        "default-scheduler", f"default-scheduler-{socket.gethostname()}")
    assert ev["metadata"]["name"].startswith("p.") and ev["involvedObject"]["uid"] == "u"
