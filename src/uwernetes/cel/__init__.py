"""CEL for Uwernetes, behind our own adapter so the engine (cel-expr-python over cel-cpp) can be
swapped: see spec/cel.md. Only the write-time compile check lives here so far.

The engine (about 11 MB once loaded) is imported on first use, not with the API server: most
clusters never write a policy, webhook or CRD rule.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Compiled", "admission_variables", "compile_error", "compile_expression"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from uwernetes.cel import compile as engine

        return getattr(engine, name)
    raise AttributeError(f"module 'uwernetes.cel' has no attribute {name!r}")
