"""Container log files in the CRI format, and reading them back for `pods/log`.

The runtime writes each line a container prints as one record
`<RFC3339Nano> <stdout|stderr> <F|P> <message>\\n` (CRI `api.proto`, containerd's `cio`): `F` is a
full line (or the end of a split one), `P` a partial one, cut because it was longer than
`MAX_RECORD` or because the stream ended without a newline. The files live at
`<podLogsDir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log`, so `--previous` reads the
file of the restart before.

Reading mirrors the kubelet's `pkg/kubelet/kuberuntime/logs/logs.go` (`ReadLogs`): tail counts
records from the end of the file, `sinceTime` skips older records, `timestamps` prefixes each
record's time, `limitBytes` cuts the output, and `follow` keeps reading while the container runs.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

STDOUT = "stdout"
STDERR = "stderr"
TAG_FULL = "F"
TAG_PARTIAL = "P"
# containerd splits lines longer than 16 KiB (its default max_container_log_line_size).
MAX_RECORD = 16 * 1024
DEFAULT_POD_LOGS_DIR = "pods"  # under the node agent's data dir (upstream: /var/log/pods)
FOLLOW_POLL_SECONDS = 0.1


class LogFormatError(ValueError):
    pass


def pod_log_dir(root: Path | str, namespace: str, pod: str, uid: str) -> Path:
    return Path(root) / f"{namespace}_{pod}_{uid}"


def container_log_path(root: Path | str, namespace: str, pod: str, uid: str, container: str,
                       restart_count: int) -> Path:
    return pod_log_dir(root, namespace, pod, uid) / container / f"{restart_count}.log"


def validate_pod_logs_dir(path: str) -> str | None:
    """The kubelet's configuration checks on `podLogsDir`, with their exact (typo included) messages."""
    if not path:
        return "invalid configuration: podLogsDir was not specified"
    if not os.path.isabs(path):
        return f'invalid configuration: pod logs path "{path}" must be absolute path'
    if os.path.normpath(path) != path:
        return f'invalid configuration: pod logs path "{path}" must be normalized'
    if not path.isascii():
        return f'invalid configuration: pod logs path "{path}" mut contains ASCII characters only'
    return None


def format_timestamp(ns: int) -> str:
    """Go's RFC3339Nano in UTC: nanoseconds with trailing zeros dropped (no dot when zero)."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac:
        return f"{base}.{frac:09d}".rstrip("0") + "Z"
    return base + "Z"


def parse_timestamp(text: str) -> int:
    """RFC 3339 with up to nanosecond fractions -> nanoseconds since the epoch."""
    if text.endswith("Z"):
        main, offset = text[:-1], "+00:00"
    else:
        main, offset = text[:-6], text[-6:]
    frac_ns = 0
    if "." in main:
        main, frac = main.split(".", 1)
        if not frac.isdigit() or len(frac) > 9:
            raise LogFormatError(f"invalid timestamp {text!r}")
        frac_ns = int(frac.ljust(9, "0"))
    try:
        dt = datetime.fromisoformat(main + offset)
    except ValueError as e:
        raise LogFormatError(f"invalid timestamp {text!r}") from e
    return int(dt.timestamp()) * 1_000_000_000 + frac_ns


@dataclass(frozen=True, slots=True)
class Record:
    timestamp: str
    stream: str
    tag: str
    message: bytes

    @property
    def partial(self) -> bool:
        return TAG_PARTIAL in self.tag.split(":")


def parse_record(line: bytes) -> Record:
    """One CRI log line (with or without its trailing newline)."""
    if line.endswith(b"\n"):
        line = line[:-1]
    parts = line.split(b" ", 3)
    if len(parts) < 3:
        raise LogFormatError(f"unexpected CRI log line: {line[:80]!r}")
    ts, stream, tag = (p.decode("ascii", "replace") for p in parts[:3])
    if stream not in (STDOUT, STDERR):
        raise LogFormatError(f"unexpected stream type {stream!r}")
    return Record(ts, stream, tag, parts[3] if len(parts) > 3 else b"")


def format_record(ts: str, stream: str, tag: str, message: bytes) -> bytes:
    return f"{ts} {stream} {tag} ".encode() + message + b"\n"


class LogWriter:
    """Turns a container's output chunks into CRI records in one file (appending)."""

    def __init__(self, path: Path | str, clock: Callable[[], int] = time.time_ns) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - lives as long as the container
        self._clock = clock
        self._pending: dict[str, bytes] = {STDOUT: b"", STDERR: b""}

    def write(self, stream: str, data: bytes) -> None:
        buf = self._pending[stream] + data
        out: list[bytes] = []
        while True:
            nl = buf.find(b"\n")
            if nl < 0 or nl > MAX_RECORD:
                if len(buf) < MAX_RECORD:
                    break
                out.append(self._record(stream, TAG_PARTIAL, buf[:MAX_RECORD]))
                buf = buf[MAX_RECORD:]
                continue
            line = buf[:nl]
            if line.endswith(b"\r"):
                line = line[:-1]
            out.append(self._record(stream, TAG_FULL, line))
            buf = buf[nl + 1:]
        self._pending[stream] = buf
        if out:
            self._file.write(b"".join(out))

    def close_stream(self, stream: str) -> None:
        """The stream ended: a last line without newline is still written, as a full record."""
        rest = self._pending[stream]
        if rest:
            self._pending[stream] = b""
            self._file.write(self._record(stream, TAG_FULL, rest))

    def close(self) -> None:
        for stream in (STDOUT, STDERR):
            self.close_stream(stream)
        self._file.close()

    def _record(self, stream: str, tag: str, message: bytes) -> bytes:
        return format_record(format_timestamp(self._clock()), stream, tag, message)


@dataclass
class LogOptions:
    """`PodLogOptions` as the kubelet uses it (container and previous choose the file)."""

    follow: bool = False
    tail_lines: int | None = None
    since_ns: int | None = None  # from sinceTime or now - sinceSeconds
    timestamps: bool = False
    limit_bytes: int | None = None


def tail_start(data: bytes, lines: int) -> int:
    """Offset of the start of the last `lines` records (upstream counts raw file lines)."""
    if lines <= 0:
        return len(data)
    end = len(data)
    if data.endswith(b"\n"):
        end -= 1
    pos = end
    for _ in range(lines):
        nl = data.rfind(b"\n", 0, pos)
        if nl < 0:
            return 0
        pos = nl
    return pos + 1


def render(record: Record, opts: LogOptions) -> bytes:
    """One record as `kubectl logs` shows it: partial records join the next one without newline."""
    body = record.message if record.partial else record.message + b"\n"
    if opts.timestamps:
        try:
            ts = format_timestamp(parse_timestamp(record.timestamp))
        except LogFormatError:
            ts = record.timestamp
        return ts.encode() + b" " + body
    return body


class _Output:
    """Applies sinceTime and limitBytes over rendered records."""

    def __init__(self, opts: LogOptions) -> None:
        self.opts = opts
        self.remaining = opts.limit_bytes

    @property
    def full(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def take(self, line: bytes) -> bytes:
        if not line.strip():
            return b""
        try:
            record = parse_record(line)
        except LogFormatError:
            return b""  # upstream logs and skips lines it cannot parse
        if self.opts.since_ns is not None:
            try:
                if parse_timestamp(record.timestamp) < self.opts.since_ns:
                    return b""
            except LogFormatError:
                return b""
        out = render(record, self.opts)
        if self.remaining is not None:
            out = out[: self.remaining]
            self.remaining -= len(out)
        return out


def read_logs(path: Path | str, opts: LogOptions) -> bytes:
    """Everything currently in the file that the options select (no follow)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return b""
    if opts.tail_lines is not None:
        data = data[tail_start(data, opts.tail_lines):]
    out = _Output(opts)
    chunks = []
    for line in data.splitlines(keepends=True):
        if out.full:
            break
        chunks.append(out.take(line))
    return b"".join(chunks)


async def follow_logs(path: Path | str, opts: LogOptions, running: Callable[[], bool],
                      poll: float = FOLLOW_POLL_SECONDS) -> AsyncIterator[bytes]:
    """The selected records, then new ones as they are written, until the container stops
    (checked each time the reader reaches the end of the file) or the byte limit is reached."""
    path = Path(path)
    out = _Output(opts)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
    start = tail_start(data, opts.tail_lines) if opts.tail_lines is not None else 0
    offset = len(data)
    buf = data[start:]
    while True:
        lines = buf.split(b"\n")
        buf = lines.pop()  # an incomplete line waits for the rest
        chunk = b"".join(out.take(line) for line in lines if not out.full)
        if chunk:
            yield chunk
        if out.full:
            return
        alive = running()
        more = _read_from(path, offset)
        if more:
            offset += len(more)
            buf += more
            continue
        if not alive:
            if buf:
                last = out.take(buf)
                if last:
                    yield last
            return
        await asyncio.sleep(poll)


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read()
    except FileNotFoundError:
        return b""


def since_ns(since_seconds: int | None, since_time: str | None, now_ns: int | None = None) -> int | None:
    """`sinceSeconds` is relative to now; `sinceTime` (RFC 3339) is absolute; at most one is set."""
    if since_time:
        return parse_timestamp(since_time)
    if since_seconds is not None:
        now = time.time_ns() if now_ns is None else now_ns
        return now - since_seconds * 1_000_000_000
    return None
