"""CEL for Uwernetes, behind our own adapter so the engine (cel-expr-python over cel-cpp) can be
swapped: see spec/cel.md. Only the write-time compile check lives here so far."""

from uwernetes.cel.compile import Compiled, admission_variables, compile_error, compile_expression

__all__ = ["Compiled", "admission_variables", "compile_error", "compile_expression"]
