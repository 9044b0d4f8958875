"""Memory sharing: the watch cache keeps JSON only and hands out fresh objects; in-process informers
share one decoded object per watch event."""

import orjson
import pytest

from uwernetes.client.api import SharedDecoder
from uwernetes.storage.interface import Event
from uwernetes.storage.watch_cache import CachedEntry


def test_cached_entry_reads_are_independent_copies():
    raw = orjson.dumps({"metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"n": 1}})
    entry = CachedEntry("/registry/things/a", raw, 7)
    first = entry.obj
    first["spec"]["n"] = 2
    first["metadata"]["labels"]["x"] = "changed"
    assert entry.obj == {"metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"n": 1}}
    assert entry.raw == raw and entry.rev == 7


def test_shared_decoder_decodes_each_event_once_without_managed_fields():
    dec = SharedDecoder(window=2)
    line = b'{"type":"MODIFIED","object":{"metadata":{"name":"p","managedFields":[{"manager":"m"}]},"spec":{}}}'
    a = dec.decode(line)
    b = dec.decode(bytes(line))  # equal bytes from another watcher's stream
    assert a is b
    assert a["type"] == "MODIFIED" and a["object"]["metadata"] == {"name": "p"}
    other = dec.decode(b'{"type":"ADDED","object":{"metadata":{"name":"q"}}}')
    assert other is not a and other["object"]["metadata"]["name"] == "q"


def test_shared_decoder_window_is_bounded():
    dec = SharedDecoder(window=2)
    lines = [b'{"type":"ADDED","object":{"metadata":{"name":"%d"}}}' % i for i in range(3)]
    first = dec.decode(lines[0])
    dec.decode(lines[1])
    dec.decode(lines[2])
    assert dec.decode(lines[0]) is not first  # evicted: decoded again
    assert dec.decode(lines[2]) is dec.decode(lines[2])


def test_shared_decoder_bounds_the_bytes_it_keeps():
    dec = SharedDecoder(window=100, max_bytes=250)
    big = [b'{"type":"ADDED","object":{"metadata":{"name":"%d"},"data":"%s"}}' % (i, b"x" * 60) for i in range(5)]
    first = dec.decode(big[0])
    for line in big[1:]:
        dec.decode(line)
    assert dec._bytes <= 250 and len(dec._recent) < 5
    assert dec.decode(big[0]) is not first  # evicted by size, decoded again


def test_watch_cache_history_shares_previous_bytes_and_keeps_a_byte_budget(monkeypatch):
    import asyncio

    from uwernetes.storage import watch_cache as wc
    from uwernetes.storage.interface import ADDED, MODIFIED, Event

    cache = wc.WatchCache(store=object(), prefix="/registry/things/")
    monkeypatch.setattr(wc, "HISTORY_BYTES", 3000)

    def event(type_, rev, size):
        obj = {"metadata": {"name": "a", "resourceVersion": str(rev)}, "data": "x" * size}
        return Event(type_, "/registry/things/a", rev, obj, orjson.dumps(obj), prev_raw=None if type_ == ADDED else b"{}")

    asyncio.run(asyncio.sleep(0))
    cache._on_event(event(ADDED, 1, 1000))
    cache._on_event(event(MODIFIED, 2, 1000))
    assert cache.history[1].prev_raw is cache.history[0].raw  # the cached bytes, not a copy
    cache._on_event(event(MODIFIED, 3, 1000))
    assert [p.rev for p in cache.history] == [2, 3] and cache.oldest == 1
    watcher = cache.watch(1, lambda obj: True)
    assert [e.rev for e in watcher.drain()] == [2, 3]
    try:
        cache.watch(0, lambda obj: True)
        raise AssertionError("a watch from before the kept history must be refused")
    except wc.TooOld:
        pass


MF = [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {"f:n": {}}}}]


@pytest.mark.parametrize("obj", [
    {"metadata": {"name": "a", "managedFields": MF, "uid": "u"}, "spec": {"n": 1}},
    {"metadata": {"managedFields": MF, "name": "a"}, "spec": {"n": 1}},
    {"metadata": {"name": "a", "managedFields": MF}, "spec": {"n": 1}},
    {"metadata": {"managedFields": MF}, "spec": {"n": 1}},
    {"metadata": {"name": "a"}, "spec": {"n": 1}},
    # The same bytes twice (a field of the spec named alike): found by re-encoding instead.
    {"metadata": {"name": "a", "managedFields": MF}, "spec": {"managedFields": MF}},
], ids=["middle", "first", "last", "alone", "absent", "twice"])
def test_event_json_without_managed_fields(obj):
    raw = orjson.dumps(obj)
    ev = Event("MODIFIED", "/registry/things/a", 3, obj, raw)
    lean = ev.raw_without_managed_fields()
    expected = {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "managedFields"}}
    assert orjson.loads(lean) == expected
    assert ev.raw_without_managed_fields() is lean  # computed once per event
    if "managedFields" not in obj["metadata"]:
        assert lean is raw


def test_watch_line_is_built_once_per_event_and_form():
    obj = {"metadata": {"name": "a", "managedFields": MF}, "spec": {"n": 1}}
    ev = Event("ADDED", "/registry/things/a", 4, obj, orjson.dumps(obj))
    full, lean = ev.watch_line(), ev.watch_line(lean=True)
    assert full is ev.watch_line() and lean is ev.watch_line(lean=True)
    assert full.endswith(b"}\n") and orjson.loads(full) == {"type": "ADDED", "object": obj}
    assert orjson.loads(lean)["object"]["metadata"] == {"name": "a"}
