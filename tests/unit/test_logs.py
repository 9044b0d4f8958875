"""CRI log files: record format, splitting, and reading with PodLogOptions (kubelet ReadLogs)."""

from __future__ import annotations

import asyncio

import pytest

from uwernetes.node import logs


@pytest.mark.parametrize("ns, want", [
    pytest.param(1713348000_123456789, "2024-04-17T10:00:00.123456789Z", id="nanoseconds"),
    pytest.param(1713348000_120000000, "2024-04-17T10:00:00.12Z", id="trailing zeros dropped"),
    pytest.param(1713348000_000000000, "2024-04-17T10:00:00Z", id="no fraction"),
])
def test_format_timestamp(ns, want):
    assert logs.format_timestamp(ns) == want
    assert logs.parse_timestamp(want) == ns


def test_parse_timestamp_offsets():
    assert logs.parse_timestamp("2024-04-17T12:00:00+02:00") == logs.parse_timestamp("2024-04-17T10:00:00Z")
    with pytest.raises(logs.LogFormatError):
        logs.parse_timestamp("yesterday")


@pytest.mark.parametrize("line, want", [
    (b"2024-04-17T10:00:00.123456789Z stdout F hello world\n",
     logs.Record("2024-04-17T10:00:00.123456789Z", "stdout", "F", b"hello world")),
    (b"2024-04-17T10:00:00Z stderr P part", logs.Record("2024-04-17T10:00:00Z", "stderr", "P", b"part")),
    (b"2024-04-17T10:00:00Z stdout F ", logs.Record("2024-04-17T10:00:00Z", "stdout", "F", b"")),
])
def test_parse_record(line, want):
    assert logs.parse_record(line) == want


@pytest.mark.parametrize("line", [b"garbage", b"2024-04-17T10:00:00Z stdin F x"])
def test_parse_record_rejects(line):
    with pytest.raises(logs.LogFormatError):
        logs.parse_record(line)


def test_layout():
    assert str(logs.container_log_path("/srv/pods", "default", "web", "U", "app", 1)) == "/srv/pods/default_web_U/app/1.log"


@pytest.mark.parametrize("path, want", [
    ("", "invalid configuration: podLogsDir was not specified"),
    ("var/log", 'invalid configuration: pod logs path "var/log" must be absolute path'),
    ("/var/log/../pods", 'invalid configuration: pod logs path "/var/log/../pods" must be normalized'),
    ("/var/lög", 'invalid configuration: pod logs path "/var/lög" mut contains ASCII characters only'),
    ("/var/log/pods", None),
])
def test_validate_pod_logs_dir(path, want):
    assert logs.validate_pod_logs_dir(path) == want


def _writer(tmp_path, start=1_000_000_000_000_000_000):
    ticks = iter(range(start, start + 10**12, 10**9))
    return logs.LogWriter(tmp_path / "c" / "0.log", clock=lambda: next(ticks))


def test_writer_records(tmp_path):
    w = _writer(tmp_path)
    w.write("stdout", b"one\ntw")
    w.write("stderr", b"err\r\n")
    w.write("stdout", b"o\nthree")
    w.close()
    lines = (tmp_path / "c" / "0.log").read_bytes().splitlines()
    assert [(r.stream, r.tag, r.message) for r in map(logs.parse_record, lines)] == [
        ("stdout", "F", b"one"), ("stderr", "F", b"err"), ("stdout", "F", b"two"), ("stdout", "F", b"three")]
    assert lines[0].startswith(b"2001-09-09T01:46:40Z stdout F ")


def test_writer_splits_long_lines(tmp_path):
    w = _writer(tmp_path)
    w.write("stdout", b"x" * (logs.MAX_RECORD + 5) + b"\n")
    w.close()
    recs = [logs.parse_record(x) for x in (tmp_path / "c" / "0.log").read_bytes().splitlines()]
    assert [(r.tag, len(r.message)) for r in recs] == [("P", logs.MAX_RECORD), ("F", 5)]
    assert logs.read_logs(tmp_path / "c" / "0.log", logs.LogOptions()) == b"x" * (logs.MAX_RECORD + 5) + b"\n"


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "0.log"
    path.write_bytes(
        b"2024-04-17T10:00:00.5Z stdout F a\n"
        b"2024-04-17T10:00:01Z stderr F b\n"
        b"2024-04-17T10:00:02Z stdout P c1-\n"
        b"2024-04-17T10:00:02.000000001Z stdout F c2\n"
        b"2024-04-17T10:00:03Z stdout F d\n")
    return path


@pytest.mark.parametrize("opts, want", [
    pytest.param(logs.LogOptions(), b"a\nb\nc1-c2\nd\n", id="all, partial joined"),
    pytest.param(logs.LogOptions(tail_lines=2), b"c2\nd\n", id="tail counts records"),
    pytest.param(logs.LogOptions(tail_lines=0), b"", id="tail 0"),
    pytest.param(logs.LogOptions(tail_lines=99), b"a\nb\nc1-c2\nd\n", id="tail beyond start"),
    pytest.param(logs.LogOptions(since_ns=logs.parse_timestamp("2024-04-17T10:00:02Z")), b"c1-c2\nd\n", id="since"),
    pytest.param(logs.LogOptions(limit_bytes=3), b"a\nb", id="limitBytes"),
    pytest.param(logs.LogOptions(timestamps=True, tail_lines=1), b"2024-04-17T10:00:03Z d\n", id="timestamps"),
    pytest.param(logs.LogOptions(timestamps=True, tail_lines=5, limit_bytes=26), b"2024-04-17T10:00:00.5Z a\n2",
                 id="timestamps keep nanosecond text"),
])
def test_read_logs(sample, opts, want):
    assert logs.read_logs(sample, opts) == want


def test_read_logs_missing_file(tmp_path):
    assert logs.read_logs(tmp_path / "nope.log", logs.LogOptions()) == b""


def test_since_ns():
    assert logs.since_ns(10, None, now_ns=100 * 10**9) == 90 * 10**9
    assert logs.since_ns(None, "2024-04-17T10:00:00Z") == logs.parse_timestamp("2024-04-17T10:00:00Z")
    assert logs.since_ns(None, None) is None


def test_follow_reads_new_records_until_stopped(tmp_path):
    path = tmp_path / "0.log"
    w = logs.LogWriter(path)
    w.write("stdout", b"first\n")
    running = [True]

    async def scenario():
        chunks = []

        async def collect():
            async for chunk in logs.follow_logs(path, logs.LogOptions(follow=True), lambda: running[0], poll=0.01):
                chunks.append(chunk)

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.05)
        w.write("stdout", b"second\nthi")
        await asyncio.sleep(0.05)
        w.write("stdout", b"rd\n")
        w.close()
        running[0] = False
        await asyncio.wait_for(task, 5)
        return b"".join(chunks)

    assert asyncio.run(scenario()) == b"first\nsecond\nthird\n"


def test_follow_honours_tail_and_limit(sample):
    async def scenario():
        return [c async for c in logs.follow_logs(sample, logs.LogOptions(follow=True, tail_lines=1, limit_bytes=1),
                                                  lambda: True, poll=0.01)]

    assert b"".join(asyncio.run(scenario())) == b"d"
