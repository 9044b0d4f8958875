"""Pod status as the kubelet computes it (v1.30): phase, conditions, container statuses, IPs.

Pure functions over the pod and the agent's record of each container (`ContainerRecord`);
the pod workers call `pod_status` after every change and write the result when it differs.
Shapes follow upstream's `getPhase` (kubelet_pods.go), `status/generate.go` and the status
manager's condition merge: conditions the kubelet does not own stay first and in place, then
PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled; a condition keeps
its lastTransitionTime while its status does not change.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]

KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


@dataclass(slots=True)
class ContainerRecord:
    """The agent's view of one container across its restarts."""

    name: str
    image: str
    state: str = "waiting"  # waiting | running | terminated
    reason: str = "ContainerCreating"  # waiting/terminated reason
    message: str = ""
    container_id: str = ""  # "<runtime>://<id>", empty until created
    started_at: float = 0.0
    finished_at: float = 0.0
    exit_code: int | None = None
    restart_count: int = 0
    last_terminated: Obj | None = None  # lastState.terminated of the previous attempt
    ready: bool = False
    started: bool = False


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_sidecar(container: Mapping[str, Any]) -> bool:
    return container.get("restartPolicy") == "Always"


def _ip_family(ip: str) -> int | None:
    try:
        return ipaddress.ip_address(ip).version
    except ValueError:
        return None


def node_host_ips(addresses: Iterable[Mapping[str, Any]]) -> list[str]:
    """component-helpers' GetNodeHostIPs: InternalIPs then ExternalIPs; the first, plus the first of the other family."""
    ordered = [a.get("address", "") for a in addresses if a.get("type") == "InternalIP"]
    ordered += [a.get("address", "") for a in addresses if a.get("type") == "ExternalIP"]
    ips = [ip for ip in ordered if _ip_family(ip) is not None]
    if not ips:
        return []
    first = ips[0]
    out = [first]
    fam = _ip_family(first)
    for ip in ips[1:]:
        if _ip_family(ip) != fam:
            out.append(ip)
            break
    return out


def host_ip_error(addresses: Iterable[Mapping[str, Any]]) -> str:
    known = " ".join(f"{{{a.get('type', '')} {a.get('address', '')}}}" for a in addresses)
    return f"host IP unknown; known addresses: [{known}]"


def image_id(image: str) -> str:
    """A stable fake digest reference, since no image is pulled."""
    digest = hashlib.sha256(image.encode()).hexdigest()
    repo = image.split("@", 1)[0].rsplit(":", 1)[0] if "/" in image or ":" in image else image
    return f"{repo}@sha256:{digest}"


def container_status(rec: ContainerRecord) -> Obj:
    """One entry of containerStatuses/initContainerStatuses."""
    if rec.state == "running":
        state: Obj = {"running": {"startedAt": rfc3339(rec.started_at)}}
    elif rec.state == "terminated":
        term: Obj = {"exitCode": rec.exit_code if rec.exit_code is not None else 0, "reason": rec.reason,
                     "startedAt": rfc3339(rec.started_at) if rec.started_at else None,
                     "finishedAt": rfc3339(rec.finished_at)}
        if rec.message:
            term["message"] = rec.message
        if rec.container_id:
            term["containerID"] = rec.container_id
        state = {"terminated": term}
    else:
        waiting: Obj = {"reason": rec.reason}
        if rec.message:
            waiting["message"] = rec.message
        state = {"waiting": waiting}
    out: Obj = {"name": rec.name, "state": state,
                "lastState": {"terminated": rec.last_terminated} if rec.last_terminated else {},
                "ready": rec.ready, "restartCount": rec.restart_count, "image": rec.image,
                "imageID": image_id(rec.image) if rec.container_id else "",
                "started": rec.started}
    if rec.container_id:
        out["containerID"] = rec.container_id
    return out


def terminated_of(rec: ContainerRecord) -> Obj:
    """lastState.terminated for the attempt that just ended."""
    t: Obj = {"exitCode": rec.exit_code if rec.exit_code is not None else 0, "reason": rec.reason,
              "startedAt": rfc3339(rec.started_at) if rec.started_at else None,
              "finishedAt": rfc3339(rec.finished_at)}
    if rec.message:
        t["message"] = rec.message
    if rec.container_id:
        t["containerID"] = rec.container_id
    return t


def _by_name(statuses: Iterable[Obj]) -> dict[str, Obj]:
    return {s["name"]: s for s in statuses}


def _any_regular_started(spec: Mapping[str, Any], statuses: Mapping[str, Obj]) -> bool:
    for c in spec.get("containers") or []:
        st = statuses.get(c["name"])
        if st and ("running" in st["state"] or "terminated" in st["state"]):
            return True
    return False


def pod_phase(spec: Mapping[str, Any], init_statuses: list[Obj], statuses: list[Obj], terminal: bool = False) -> str:
    """Upstream getPhase. `terminal`: the pod worker finished the pod, so nothing restarts."""
    restart_policy = spec.get("restartPolicy", "Always")
    init = _by_name(init_statuses)
    regular = _by_name(statuses)
    pending_init = failed_init = 0
    for c in spec.get("initContainers") or []:
        if is_sidecar(c):
            continue
        st = init.get(c["name"])
        if st is None:
            pending_init += 1
            continue
        state = st["state"]
        if "running" in state:
            pending_init += 1
        elif "terminated" in state:
            if state["terminated"].get("exitCode", 0) != 0:
                failed_init += 1
        elif "waiting" in state:
            last = (st.get("lastState") or {}).get("terminated")
            if last is not None:
                if last.get("exitCode", 0) != 0:
                    failed_init += 1
            else:
                pending_init += 1
        else:
            pending_init += 1
    unknown = running = waiting = stopped = succeeded = 0
    for c in spec.get("initContainers") or []:
        if not is_sidecar(c):
            continue
        st = init.get(c["name"])
        if st is None:
            unknown += 1
            continue
        state = st["state"]
        if "running" in state:
            if not st.get("started"):
                pending_init += 1
            running += 1
        elif "terminated" in state:
            pass
        elif "waiting" in state:
            if (st.get("lastState") or {}).get("terminated") is None:
                pending_init += 1
                waiting += 1
        else:
            pending_init += 1
            unknown += 1
    for c in spec.get("containers") or []:
        st = regular.get(c["name"])
        if st is None:
            unknown += 1
            continue
        state = st["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            if state["terminated"].get("exitCode", 0) == 0:
                succeeded += 1
        elif "waiting" in state:
            if (st.get("lastState") or {}).get("terminated") is not None:
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    if failed_init > 0 and restart_policy == "Never":
        return "Failed"
    all_statuses = {**init, **regular}
    if (pending_init > 0 and not _any_regular_started(spec, all_statuses)) or waiting > 0:
        return "Pending"
    if running > 0 and unknown == 0:
        return "Running"
    if running == 0 and stopped > 0 and unknown == 0:
        if terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _names(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"  # Go's %s of a []string


def initialized_condition(spec: Mapping[str, Any], all_statuses: list[Obj], phase: str) -> Obj:
    inits = spec.get("initContainers") or []
    if not inits:
        return {"type": "Initialized", "status": "True"}
    by = _by_name(all_statuses)
    unknown: list[str] = []
    incomplete: list[str] = []
    for c in inits:
        st = by.get(c["name"])
        if st is None:
            unknown.append(c["name"])
        elif is_sidecar(c):
            if not st.get("started"):
                incomplete.append(c["name"])
        elif not st.get("ready"):
            incomplete.append(c["name"])
    if phase == "Succeeded" and not unknown:
        return {"type": "Initialized", "status": "True", "reason": "PodCompleted"}
    if _any_regular_started(spec, by):
        return {"type": "Initialized", "status": "True"}
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_names(unknown)}")
    if incomplete:
        msgs.append(f"containers with incomplete status: {_names(incomplete)}")
    if msgs:
        return {"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized", "message": ", ".join(msgs)}
    return {"type": "Initialized", "status": "True"}


def containers_ready_condition(spec: Mapping[str, Any], all_statuses: list[Obj] | None, phase: str) -> Obj:
    if all_statuses is None:
        return {"type": "ContainersReady", "status": "False", "reason": "UnknownContainerStatuses"}
    by = _by_name(all_statuses)
    unknown: list[str] = []
    unready: list[str] = []
    wanted = [c for c in spec.get("initContainers") or [] if is_sidecar(c)] + list(spec.get("containers") or [])
    for c in wanted:
        st = by.get(c["name"])
        if st is None:
            unknown.append(c["name"])
        elif not st.get("ready"):
            unready.append(c["name"])
    if (phase == "Succeeded" and not unknown) or phase == "Failed":
        reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        return {"type": "ContainersReady", "status": "False", "reason": reason}
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_names(unknown)}")
    if unready:
        msgs.append(f"containers with unready status: {_names(unready)}")
    if msgs:
        return {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady", "message": ", ".join(msgs)}
    return {"type": "ContainersReady", "status": "True"}


def ready_condition(spec: Mapping[str, Any], conditions: list[Obj], containers_ready: Obj) -> Obj:
    if containers_ready["status"] != "True":
        out = dict(containers_ready, type="Ready")
        return out
    msgs = []
    by = {c.get("type"): c for c in conditions}
    for gate in spec.get("readinessGates") or []:
        t = gate.get("conditionType", "")
        c = by.get(t)
        if c is None:
            msgs.append(f'corresponding condition of pod readiness gate "{t}" does not exist.')
        elif c.get("status") != "True":
            msgs.append(f'the status of pod readiness gate "{t}" is not "True", but {c.get("status")}')
    if msgs:
        return {"type": "Ready", "status": "False", "reason": "ReadinessGatesNotReady", "message": ", ".join(msgs)}
    return {"type": "Ready", "status": "True"}


def merge_conditions(old: list[Obj], new: list[Obj], now: str) -> list[Obj]:
    """Keep other owners' conditions first; kubelet ones follow, keeping lastTransitionTime if unchanged."""
    old_by = {c.get("type"): c for c in old}
    out = [c for c in old if c.get("type") not in KUBELET_CONDITIONS]
    for c in new:
        prev = old_by.get(c["type"])
        ltt = prev.get("lastTransitionTime") if prev and prev.get("status") == c["status"] else None
        full: Obj = {"type": c["type"], "status": c["status"], "lastProbeTime": None,
                     "lastTransitionTime": ltt or now}
        if c.get("reason"):
            full["reason"] = c["reason"]
        if c.get("message"):
            full["message"] = c["message"]
        out.append(full)
    return out


def pod_status(pod: Mapping[str, Any], *, init: list[ContainerRecord], containers: list[ContainerRecord],
               host_ips: list[str], pod_ips: list[str], sandbox_ready: bool, now: float,
               terminal: bool = False, phase: str | None = None, reason: str = "", message: str = "") -> Obj:
    """The status the node agent writes for `pod`; `phase` forces a phase (e.g. Failed on admission)."""
    spec = pod.get("spec") or {}
    old = pod.get("status") or {}
    init_statuses = [container_status(r) for r in init]
    statuses = [container_status(r) for r in containers]
    old_phase = old.get("phase")
    if phase is None:
        # A terminal phase never changes back.
        phase = old_phase if old_phase in ("Succeeded", "Failed") else pod_phase(spec, init_statuses, statuses, terminal)
    all_statuses = init_statuses + statuses
    old_conditions = old.get("conditions") or []
    conds: list[Obj] = [{"type": "PodReadyToStartContainers", "status": "True" if sandbox_ready else "False"},
                        initialized_condition(spec, all_statuses, phase)]
    cready = containers_ready_condition(spec, all_statuses, phase)
    conds.append(ready_condition(spec, old_conditions, cready))
    conds.append(cready)
    conds.append({"type": "PodScheduled", "status": "True"})
    nowstr = rfc3339(now)
    status: Obj = {"phase": phase, "conditions": merge_conditions(old_conditions, conds, nowstr)}
    if reason or (phase == old_phase and old.get("reason")):
        status["reason"] = reason or old.get("reason")
    if message or (phase == old_phase and old.get("message")):
        status["message"] = message or old.get("message")
    if host_ips:
        status["hostIP"] = host_ips[0]
        status["hostIPs"] = [{"ip": ip} for ip in host_ips]
    ips = host_ips if spec.get("hostNetwork") else pod_ips
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]
    elif old.get("podIPs"):  # a stopped sandbox keeps the pod's IPs in its status
        status["podIP"] = old.get("podIP") or old["podIPs"][0]["ip"]
        status["podIPs"] = old["podIPs"]
    status["startTime"] = old.get("startTime") or nowstr
    if spec.get("initContainers"):
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = statuses
    if old.get("qosClass"):
        status["qosClass"] = old["qosClass"]
    return status
