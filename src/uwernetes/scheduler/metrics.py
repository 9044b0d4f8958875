"""The scheduler's metrics, kept in memory and rendered in the Prometheus text format.

Names, labels and help texts follow upstream v1.30 `pkg/scheduler/metrics/metrics.go`
(`scheduler_pending_pods` is STABLE; `queue` is active|backoff|unschedulable|gated). The scheduler
has no HTTP endpoint of its own here; tests and benchmarks read them in process.
"""

from __future__ import annotations

from collections.abc import Callable

PENDING_HELP = ("Number of pending pods, by the queue type. 'active' means number of pods in activeQ; "
                "'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in "
                "unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the "
                "number of unschedulable pods that the scheduler never attempted to schedule because "
                "they are gated.")


class Metrics:
    def __init__(self, pending: Callable[[], dict[str, int]], incoming: Callable[[], dict[tuple[str, str], int]],
                 profile: str = "default-scheduler") -> None:
        self._pending = pending
        self._incoming = incoming
        self.profile = profile
        self.attempts: dict[str, int] = {"scheduled": 0, "unschedulable": 0, "error": 0}
        self.attempt_seconds_sum = 0.0
        self.preemption_attempts = 0
        self.preemption_victims = 0
        self.events_dropped = 0

    def pending_pods(self) -> dict[str, int]:
        return self._pending()

    def observe_attempt(self, result: str, seconds: float) -> None:
        self.attempts[result] = self.attempts.get(result, 0) + 1
        self.attempt_seconds_sum += seconds

    def render(self) -> str:
        lines = ["# HELP scheduler_pending_pods [STABLE] " + PENDING_HELP, "# TYPE scheduler_pending_pods gauge"]
        for queue, n in sorted(self.pending_pods().items()):
            lines.append(f'scheduler_pending_pods{{queue="{queue}"}} {n}')
        lines += ["# HELP scheduler_schedule_attempts_total [STABLE] Number of attempts to schedule pods, by the "
                  "result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal "
                  "scheduler problem.", "# TYPE scheduler_schedule_attempts_total counter"]
        for result, n in sorted(self.attempts.items()):
            lines.append(f'scheduler_schedule_attempts_total{{profile="{self.profile}",result="{result}"}} {n}')
        lines += ["# HELP scheduler_queue_incoming_pods_total [STABLE] Number of pods added to scheduling queues "
                  "by event and queue type.", "# TYPE scheduler_queue_incoming_pods_total counter"]
        for (event, queue), n in sorted(self._incoming().items()):
            lines.append(f'scheduler_queue_incoming_pods_total{{event="{event}",queue="{queue}"}} {n}')
        lines += ["# HELP scheduler_preemption_attempts_total [STABLE] Total preemption attempts in the cluster "
                  "till now", "# TYPE scheduler_preemption_attempts_total counter",
                  f"scheduler_preemption_attempts_total {self.preemption_attempts}",
                  "# HELP scheduler_preemption_victims_total Number of selected preemption victims",
                  "# TYPE scheduler_preemption_victims_total counter",
                  f"scheduler_preemption_victims_total {self.preemption_victims}"]
        return "\n".join(lines) + "\n"
