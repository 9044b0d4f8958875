"""How a container image maps to what the process runtime runs on this host.

Images are never pulled. Instead:

1. A container with `command` runs that command on the host, with `args` after it (as a container
   runtime replaces the image's ENTRYPOINT with `command` and its CMD with `args`).
2. Without `command`, a small table (`KNOWN_IMAGES`) gives the usual ENTRYPOINT/CMD of well-known
   images, rewritten to host programs: `busybox`/`alpine` -> `sh`, `python` -> this Python,
   `nginx` -> a tiny HTTP server (this module's `nginx` mode) on the container's first declared
   port (80 if none) serving nginx's default page, `pause`/`kong` -> sleep forever, `perl`,
   `bash`, `ubuntu`/`debian` -> their shells, `hello-world` -> its greeting. `args` without
   `command` replace the table's CMD, as they replace an image's CMD.
3. Any other image without `command` fails like a pull failure: waiting reason `ErrImagePull`
   with a message that says what to do.

Program names resolve on the host's PATH: busybox applets (`date`, `sleep`, `wget`...) are the
host's coreutils. An absolute path that does not exist on the host (`/usr/local/bin/python`) falls
back to its base name on PATH; `python`/`python3` run this interpreter.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from dataclasses import dataclass, field

ERR_IMAGE_PULL = "ErrImagePull"
INVALID_IMAGE_NAME = "InvalidImageName"

_SLEEP_FOREVER = ["sleep", "infinity"]

# image name (last path element, no tag) -> (entrypoint, cmd) as host argv pieces.
KNOWN_IMAGES: dict[str, tuple[list[str], list[str]]] = {
    "busybox": ([], ["sh"]),
    "alpine": ([], ["/bin/sh"]),
    "ubuntu": ([], ["/bin/bash"]),
    "debian": ([], ["bash"]),
    "bash": (["docker-entrypoint.sh"], ["bash"]),
    "python": ([], ["python3"]),
    "perl": ([], ["perl", "-de0"]),
    "nginx": (["<nginx>"], []),
    "pause": (_SLEEP_FOREVER, []),
    "kong": (_SLEEP_FOREVER, []),
    "hello-world": (["<hello>"], []),
}

# Entrypoint scripts of official images that only `exec "$@"` in our setting.
_PASS_THROUGH = {"docker-entrypoint.sh", "/docker-entrypoint.sh", "/usr/local/bin/docker-entrypoint.sh"}

# A pared-down docker reference grammar: lower-case path components, optional tag and digest.
_REFERENCE = re.compile(
    r"^(?:(?P<registry>[a-zA-Z0-9.-]+(?::[0-9]+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)

NGINX_PAGE = b"""<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

HELLO = """
Hello from Docker!
This message shows that your installation appears to be working correctly.
"""


@dataclass(frozen=True)
class ImageRef:
    registry: str
    path: str
    tag: str
    digest: str

    @property
    def name(self) -> str:
        """The last path element, which the table is keyed by (`registry.k8s.io/pause` -> `pause`)."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def full(self) -> str:
        """What containerd reports as `status.containerStatuses[].image`."""
        ref = f"{self.registry}/{self.path}"
        if self.digest:
            return f"{ref}@{self.digest}"
        return f"{ref}:{self.tag}"

    @property
    def image_id(self) -> str:
        """A stable, made-up digest reference standing in for the pulled image's id."""
        digest = self.digest or "sha256:" + hashlib.sha256(self.full.encode()).hexdigest()
        return f"{self.registry}/{self.path}@{digest}"


def parse_reference(image: str) -> ImageRef | None:
    """Docker's normalisation: `busybox` -> `docker.io/library/busybox:latest`; None if invalid."""
    m = _REFERENCE.match(image or "")
    if m is None:
        return None
    registry = m.group("registry")
    path = m.group("path")
    if registry and "." not in registry and ":" not in registry and registry != "localhost":
        path, registry = f"{registry}/{path}", None  # `library/busybox`: the first part was a path
    if not registry:
        registry = "docker.io"
        if "/" not in path:
            path = "library/" + path
    return ImageRef(registry, path, m.group("tag") or ("" if m.group("digest") else "latest"), m.group("digest") or "")


@dataclass
class Resolved:
    """What to run for one container, or why it cannot run (a waiting reason and message)."""

    argv: list[str] = field(default_factory=list)
    image: ImageRef | None = None
    reason: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def resolve(container: dict, host_path: str | None = None) -> Resolved:
    """The host argv for a container spec (command/args already `$(VAR)`-expanded)."""
    image = container.get("image") or ""
    ref = parse_reference(image)
    if ref is None:
        return Resolved(reason=INVALID_IMAGE_NAME,
                        message=f'Failed to apply default image tag "{image}": couldn\'t parse image '
                                f'reference "{image}": invalid reference format')
    command = list(container.get("command") or [])
    args = list(container.get("args") or [])
    if command:
        argv = command + args
    else:
        known = KNOWN_IMAGES.get(ref.name)
        if known is None:
            return Resolved(image=ref, reason=ERR_IMAGE_PULL,
                            message=f'image "{image}" is not available to the process runtime: images are '
                                    f"not pulled, so give the container a command to run on the host "
                                    f"(known images without a command: {', '.join(sorted(KNOWN_IMAGES))})")
        entrypoint, cmd = known
        argv = list(entrypoint) + (args if args else list(cmd))
    argv = _rewrite(argv, container, host_path)
    if not argv:
        return Resolved(image=ref, reason="RunContainerError", message="no command specified")
    return Resolved(argv=argv, image=ref)


def _rewrite(argv: list[str], container: dict, host_path: str | None) -> list[str]:
    while argv and argv[0] in _PASS_THROUGH:
        argv = argv[1:]
    if not argv:
        return argv
    first = argv[0]
    if first == "<nginx>":
        return [sys.executable, "-m", "uwernetes.node.images", "nginx", str(first_port(container, 80))]
    if first == "<hello>":
        return [sys.executable, "-m", "uwernetes.node.images", "hello"]
    return [host_program(first, host_path), *argv[1:]]


def host_program(name: str, host_path: str | None = None) -> str:
    """Where `name` is on this host; unchanged when nothing better is found (exec then fails)."""
    base = os.path.basename(name)
    if base in ("python", "python3") or re.fullmatch(r"python3\.\d+", base):
        return sys.executable
    if os.path.isabs(name):
        if os.path.exists(name):
            return name
        return shutil.which(base, path=host_path) or name
    if "/" in name:
        return name  # relative to workingDir, as a runtime would treat it
    return shutil.which(name, path=host_path) or name


def first_port(container: dict, default: int) -> int:
    for p in container.get("ports") or ():
        if (p.get("protocol") or "TCP") == "TCP" and isinstance(p.get("containerPort"), int):
            return p["containerPort"]
    return default


def _serve_nginx(port: int) -> None:
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "nginx"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(NGINX_PAGE)))
            self.end_headers()
            self.wfile.write(NGINX_PAGE)

        def do_HEAD(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(NGINX_PAGE)))
            self.end_headers()

        def log_message(self, fmt: str, *args: object) -> None:
            # nginx's access log goes to stdout, so `kubectl logs` shows requests.
            sys.stdout.write(f'{self.client_address[0]} - - [{self.log_date_time_string()}] "{self.requestline}" '
                             f"{args[1] if len(args) > 1 else '-'} -\n")
            sys.stdout.flush()

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    with http.server.ThreadingHTTPServer(("", port), Handler) as srv:
        srv.serve_forever()


def main(argv: list[str]) -> int:
    if argv[:1] == ["nginx"]:
        _serve_nginx(int(argv[1]) if len(argv) > 1 else 80)
        return 0
    if argv[:1] == ["hello"]:
        sys.stdout.write(HELLO)
        return 0
    sys.stderr.write("usage: python -m uwernetes.node.images nginx [PORT] | hello\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
