"""Image references and how the process runtime maps a container to a host command."""

from __future__ import annotations

import shutil
import sys

import pytest

from uwernetes.node import images


@pytest.mark.parametrize("image, full", [
    ("busybox", "docker.io/library/busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36"),
    ("library/python:3.11-slim", "docker.io/library/python:3.11-slim"),
    ("kong/httpbin", "docker.io/kong/httpbin:latest"),
    ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
    ("localhost:5000/app:v1", "localhost:5000/app:v1"),
    ("nginx@sha256:" + "a" * 64, "docker.io/library/nginx@sha256:" + "a" * 64),
])
def test_parse_reference(image, full):
    ref = images.parse_reference(image)
    assert ref is not None and ref.full == full
    assert ref.image_id.startswith(ref.full.split("@")[0].rsplit(":", 1)[0] + "@sha256:")


@pytest.mark.parametrize("image", ["Busybox", "busy box", "", "nginx:", ":tag"])
def test_parse_reference_invalid(image):
    assert images.parse_reference(image) is None


SH = shutil.which("sh")
SLEEP = shutil.which("sleep")


@pytest.mark.parametrize("container, argv", [
    pytest.param({"image": "busybox", "command": ["sh", "-c", "date"]}, [SH, "-c", "date"], id="command runs"),
    pytest.param({"image": "busybox", "command": ["sleep"], "args": ["5"]}, [SLEEP, "5"], id="command + args"),
    pytest.param({"image": "busybox"}, [SH], id="busybox default CMD"),
    pytest.param({"image": "busybox", "args": ["sleep", "1"]}, [SLEEP, "1"], id="args replace CMD"),
    pytest.param({"image": "python:3.12"}, [sys.executable], id="python"),
    pytest.param({"image": "unknown/thing", "command": ["/bin/sh", "-c", "true"]}, ["/bin/sh", "-c", "true"],
                 id="unknown image with command"),
    pytest.param({"image": "registry.k8s.io/pause:3.9"}, [SLEEP, "infinity"], id="pause"),
    pytest.param({"image": "python", "command": ["/usr/local/bin/python", "-c", "1"]}, [sys.executable, "-c", "1"],
                 id="python by absolute image path"),
    pytest.param({"image": "nginx", "ports": [{"containerPort": 8081}]},
                 [sys.executable, "-m", "uwernetes.node.images", "nginx", "8081"], id="nginx on its port"),
    pytest.param({"image": "nginx"}, [sys.executable, "-m", "uwernetes.node.images", "nginx", "80"], id="nginx 80"),
])
def test_resolve(container, argv):
    r = images.resolve(container)
    assert r.ok, r.message
    assert r.argv == argv


def test_unknown_image_without_command_is_a_pull_error():
    r = images.resolve({"image": "example.com/team/app:1.0"})
    assert r.reason == "ErrImagePull"
    assert r.message.startswith('image "example.com/team/app:1.0" is not available to the process runtime')


def test_invalid_image_name():
    r = images.resolve({"image": "Bad Image"})
    assert r.reason == "InvalidImageName"
    assert r.message == ('Failed to apply default image tag "Bad Image": couldn\'t parse image reference '
                         '"Bad Image": invalid reference format')
