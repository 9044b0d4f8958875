"""Image pulls as the kubelet paces them: by imagePullPolicy, one at a time per node
(`serializeImagePulls: true`, the kubelet default).

Nothing is downloaded (the process runtime maps images to host commands, see images.py); what is
modelled is the time a pull takes and the order it imposes, which workloads observe: with the
policy `Always` (any `:latest` or untagged image) each container start waits its turn for a
registry round trip, so pods on a node start one after another, not all in the same instant.
"""

from __future__ import annotations

import asyncio

from uwernetes.node.runtimes.base import ContainerError


class ImagePuller:
    def __init__(self, pull_seconds: float) -> None:
        self.pull_seconds = pull_seconds
        self.present: set[str] = set()
        self.pulls = 0  # pulls performed, for status and tests
        self._lock = asyncio.Lock()

    def needs_pull(self, image: str, policy: str) -> bool:
        """Whether starting a container of `image` pulls first (pure; the kubelet's rule)."""
        if policy == "Always":
            return True
        if policy == "Never":
            return False
        return image not in self.present

    async def ensure(self, image: str, policy: str) -> None:
        if policy == "Never" and image not in self.present and self.pull_seconds > 0:
            # Only meaningful where pulls are modelled: the image was never pulled here.
            raise ContainerError(
                "ErrImageNeverPull", f'Container image "{image}" is not present with pull policy of Never'
            )
        if not self.needs_pull(image, policy) or self.pull_seconds <= 0:
            self.present.add(image)
            return
        async with self._lock:
            # Someone queued ahead of us may have pulled it meanwhile (IfNotPresent needs one pull).
            if self.needs_pull(image, policy):
                self.pulls += 1
                await asyncio.sleep(self.pull_seconds)
                self.present.add(image)
