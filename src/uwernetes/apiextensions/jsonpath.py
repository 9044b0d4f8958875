"""The JSONPath subset CRD printer columns and scale paths use: `.a.b`, `.a[0]`, `.a[*].b`,
`.a['x.y']` and backslash-escaped dots (`.metadata.labels.app\\.kubernetes\\.io/name`)."""

from __future__ import annotations

import functools
from typing import Any

Step = str | int | None  # a key, an index, or None for [*]


@functools.lru_cache(maxsize=1024)
def parse(path: str) -> tuple[Step, ...]:
    """Steps of a path; raises ValueError for text that is not a simple path."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    steps: list[Step] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == ".":
            i += 1
            name: list[str] = []
            while i < len(text) and text[i] not in ".[":
                if text[i] == "\\" and i + 1 < len(text):
                    name.append(text[i + 1])
                    i += 2
                    continue
                name.append(text[i])
                i += 1
            if name:
                steps.append("".join(name))
        elif ch == "[":
            end = text.find("]", i)
            if end < 0:
                raise ValueError(f"unclosed [ in {path!r}")
            inner = text[i + 1 : end].strip()
            if inner == "*":
                steps.append(None)
            elif inner[:1] in ("'", '"') and inner[-1:] == inner[:1]:
                steps.append(inner[1:-1])
            else:
                steps.append(int(inner))
            i = end + 1
        else:
            raise ValueError(f"unexpected {ch!r} in {path!r}")
    return tuple(steps)


def find(obj: Any, path: str) -> list[Any]:
    """Every value the path reaches (empty when it reaches nothing)."""
    try:
        steps = parse(path)
    except ValueError:
        return []
    current = [obj]
    for step in steps:
        nxt: list[Any] = []
        for value in current:
            if step is None:
                if isinstance(value, list):
                    nxt.extend(value)
                elif isinstance(value, dict):
                    nxt.extend(value.values())
            elif isinstance(step, int):
                if isinstance(value, list) and -len(value) <= step < len(value):
                    nxt.append(value[step])
            elif isinstance(value, dict) and step in value:
                nxt.append(value[step])
        current = nxt
    return current


def get(obj: Any, path: str, default: Any = None) -> Any:
    found = find(obj, path)
    return found[0] if found else default


def set_value(obj: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a path of plain keys, creating objects on the way."""
    steps = parse(path)
    current = obj
    for step in steps[:-1]:
        if not isinstance(step, str):
            raise ValueError(f"cannot set through {path!r}")
        nxt = current.get(step)
        if not isinstance(nxt, dict):
            nxt = {}
            current[step] = nxt
        current = nxt
    last = steps[-1]
    if not isinstance(last, str):
        raise ValueError(f"cannot set {path!r}")
    current[last] = value
