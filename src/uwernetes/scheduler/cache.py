"""The scheduler's cache: NodeInfos kept current from the node and pod informers, plus assumed pods.

Mirrors upstream v1.30 `pkg/scheduler/internal/cache/cache.go`. Updates are incremental: a pod
event touches only its node's totals, so a cycle never rescans pods. A pod the scheduler has
decided on is *assumed* onto its node at once (the next pod sees the reservation), confirmed when
the informer shows it bound, and forgotten if binding fails.
"""

from __future__ import annotations

from uwernetes.scheduler.framework import LABEL_ZONE, NodeInfo, PodInfo

TERMINAL_PHASES = ("Succeeded", "Failed")


class Cache:
    def __init__(self) -> None:
        self.nodes: dict[str, NodeInfo] = {}   # includes placeholder infos for pods whose node is unknown
        self.node_list: list[NodeInfo] = []    # nodes with a Node object, in a stable order
        self._pod_node: dict[str, str] = {}    # pod key -> node name
        self.assumed: set[str] = set()
        self._anti_affinity: dict[str, int] = {}  # node -> number of its pods with required anti-affinity
        self.generation = 0
        # keys[i] is a small int naming node_list[i]'s state_key: the algorithm's fast path counts
        # them in C (collections.Counter) instead of visiting nodes one by one.
        self.keys: list[int] = []
        self._index: dict[str, int] = {}
        self._state_ids: dict[tuple, int] = {}
        # Default topology spreading reads, per controller (ns, uid): its pods per node and per zone.
        self._owner_nodes: dict[tuple[str, str], dict[str, int]] = {}
        self._owner_zones: dict[tuple[str, str], dict[str, int]] = {}
        self._pod_zone: dict[str, str] = {}  # pod key -> the zone it was counted in

    def _intern(self, key: tuple) -> int:
        sid = self._state_ids.get(key)
        if sid is None:
            if len(self._state_ids) > 4 * len(self.node_list) + 1024:
                self._reindex()  # forget states no node is in any more
                return self._intern(key)
            sid = self._state_ids[key] = len(self._state_ids)
        return sid

    def _reindex(self) -> None:
        self._state_ids = {}
        self._index = {ni.name: i for i, ni in enumerate(self.node_list)}
        self.keys = [0] * len(self.node_list)
        for i, ni in enumerate(self.node_list):
            self.keys[i] = self._intern(ni.state_key)

    def _touch(self, ni: NodeInfo) -> None:
        i = self._index.get(ni.name)
        if i is not None:
            self.keys[i] = self._intern(ni.state_key)

    # --- nodes -------------------------------------------------------------------------------
    def _info(self, name: str) -> NodeInfo:
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo(name)
        return ni

    def add_node(self, node: dict) -> NodeInfo:
        name = node["metadata"]["name"]
        ni = self._info(name)
        listed = bool(ni.node)
        old_zone = ni.labels.get(LABEL_ZONE) if listed else None
        ni.set_node(node)
        if ni.pods and (not listed or old_zone != ni.labels.get(LABEL_ZONE)):
            self._recount_zones(ni)
        if not listed:
            self._index[name] = len(self.node_list)
            self.node_list.append(ni)
            self.keys.append(0)
        self._touch(ni)
        self.generation += 1
        return ni

    def update_node(self, old: dict | None, new: dict) -> bool:
        """Apply a node update; True if it can make an unschedulable pod fit (a move event)."""
        self.add_node(new)
        if old is None:
            return True
        os_, ns_ = old.get("spec") or {}, new.get("spec") or {}
        return ((old.get("status") or {}).get("allocatable") != (new.get("status") or {}).get("allocatable")
                or (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels")
                or os_.get("taints") != ns_.get("taints") or bool(os_.get("unschedulable")) != bool(ns_.get("unschedulable")))

    def remove_node(self, name: str) -> None:
        ni = self.nodes.get(name)
        if ni is None:
            return
        if ni.node:
            self.node_list = [n for n in self.node_list if n is not ni]
            ni.node = {}
            self._recount_zones(ni)
            self._reindex()
        if not ni.pods:
            del self.nodes[name]
        self.generation += 1

    def _count_zone(self, pi: PodInfo, zone: str | None, delta: int) -> None:
        if zone is None:
            return
        zones = self._owner_zones.setdefault((pi.namespace, pi.owner_uid), {})
        n = zones.get(zone, 0) + delta
        if n > 0:
            zones[zone] = n
        else:
            zones.pop(zone, None)
            if not zones:
                self._owner_zones.pop((pi.namespace, pi.owner_uid), None)

    def _recount_zones(self, ni: NodeInfo) -> None:
        """The node's zone label changed (or the node came or went): recount its controllers' pods."""
        zone = ni.labels.get(LABEL_ZONE) if ni.node else None
        for pi in ni.pods.values():
            if not pi.owner_uid or pi.deleting:
                continue
            self._count_zone(pi, self._pod_zone.pop(pi.key, None), -1)
            if zone is not None:
                self._pod_zone[pi.key] = zone
                self._count_zone(pi, zone, 1)

    # --- pods --------------------------------------------------------------------------------
    def _place(self, pi: PodInfo, node_name: str) -> None:
        ni = self._info(node_name)
        ni.add_pod(pi)
        self._touch(ni)
        self._pod_node[pi.key] = node_name
        if pi.anti_affinity:
            self._anti_affinity[node_name] = self._anti_affinity.get(node_name, 0) + 1
        if pi.owner_uid and not pi.deleting:
            per_node = self._owner_nodes.setdefault((pi.namespace, pi.owner_uid), {})
            per_node[node_name] = per_node.get(node_name, 0) + 1
            zone = ni.labels.get(LABEL_ZONE) if ni.node else None
            if zone is not None:
                self._pod_zone[pi.key] = zone
                self._count_zone(pi, zone, 1)

    def _unplace(self, key: str) -> PodInfo | None:
        node_name = self._pod_node.pop(key, None)
        if node_name is None:
            return None
        ni = self.nodes.get(node_name)
        pi = ni.remove_pod(key) if ni is not None else None
        if ni is not None:
            self._touch(ni)
        if pi is not None and pi.anti_affinity:
            n = self._anti_affinity.get(node_name, 0) - 1
            if n > 0:
                self._anti_affinity[node_name] = n
            else:
                self._anti_affinity.pop(node_name, None)
        if pi is not None and pi.owner_uid and not pi.deleting:
            per_node = self._owner_nodes.get((pi.namespace, pi.owner_uid), {})
            left = per_node.get(node_name, 0) - 1
            if left > 0:
                per_node[node_name] = left
            else:
                per_node.pop(node_name, None)
                if not per_node:
                    self._owner_nodes.pop((pi.namespace, pi.owner_uid), None)
            self._count_zone(pi, self._pod_zone.pop(key, None), -1)
        if ni is not None and not ni.node and not ni.pods:
            del self.nodes[node_name]
        return pi

    def assume(self, pi: PodInfo, node_name: str) -> None:
        self._unplace(pi.key)
        self._place(pi, node_name)
        self.assumed.add(pi.key)
        self.generation += 1

    def forget(self, key: str) -> None:
        if key in self.assumed:
            self.assumed.discard(key)
            self._unplace(key)
            self.generation += 1

    def set_pod(self, pi: PodInfo) -> None:
        """An assigned pod as the informer shows it (add or update); terminal pods free their node."""
        phase = (pi.pod.get("status") or {}).get("phase")
        self.assumed.discard(pi.key)
        self._unplace(pi.key)
        if phase not in TERMINAL_PHASES:
            self._place(pi, pi.node_name)
        self.generation += 1

    def remove_pod(self, key: str) -> PodInfo | None:
        self.assumed.discard(key)
        pi = self._unplace(key)
        self.generation += 1
        return pi

    def node_of(self, key: str) -> str | None:
        return self._pod_node.get(key)

    def is_assumed(self, key: str) -> bool:
        return key in self.assumed

    def anti_affinity_nodes(self) -> list[NodeInfo]:
        return [self.nodes[n] for n in self._anti_affinity if n in self.nodes]

    @property
    def positions(self) -> dict[str, int]:
        """Node name -> its index in node_list (and keys)."""
        return self._index

    def owner_nodes(self, pi: PodInfo) -> dict[str, int]:
        """Node name -> pods of `pi`'s controller there (default topology spreading). Read only."""
        return self._owner_nodes.get((pi.namespace, pi.owner_uid), {}) if pi.owner_uid else {}

    def owner_zones(self, pi: PodInfo) -> dict[str, int]:
        """Zone -> pods of `pi`'s controller there, over nodes the cache knows. Read only."""
        return self._owner_zones.get((pi.namespace, pi.owner_uid), {}) if pi.owner_uid else {}
