"""Image pull pacing: policy rules and one pull at a time per node."""

import asyncio

import pytest

from uwernetes.node.image_pull import ImagePuller
from uwernetes.node.runtimes.base import ContainerError


@pytest.mark.parametrize(
    "policy, present, expected",
    [("Always", True, True), ("Always", False, True), ("IfNotPresent", True, False),
     ("IfNotPresent", False, True), ("Never", False, False)],
)
def test_needs_pull(policy, present, expected):
    p = ImagePuller(0.1)
    if present:
        p.present.add("img")
    assert p.needs_pull("img", policy) is expected


def test_pulls_are_serialized_and_if_not_present_pulls_once(monkeypatch):
    active, peak = 0, 0
    real_sleep = asyncio.sleep

    async def pulling(seconds):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await real_sleep(0)
        active -= 1

    async def main():
        p = ImagePuller(0.05)
        monkeypatch.setattr(asyncio, "sleep", pulling)
        await asyncio.gather(*(p.ensure("a:1", "IfNotPresent") for _ in range(5)))
        once = p.pulls
        await asyncio.gather(*(p.ensure("b", "Always") for _ in range(4)))
        return once, p.pulls - once

    once, always = asyncio.run(main())
    assert once == 1  # five starts, one pull
    assert always == 4  # Always pulls for every start
    assert peak == 1  # never two pulls at once


def test_never_policy_without_the_image_fails_like_the_kubelet():
    with pytest.raises(ContainerError) as e:
        asyncio.run(ImagePuller(0.05).ensure("nope", "Never"))
    assert e.value.reason == "ErrImageNeverPull"
    assert e.value.message == 'Container image "nope" is not present with pull policy of Never'
