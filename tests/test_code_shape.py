"""The integration's code stays in small pieces: no function over 60 lines, no
class over 250, and the coordinator is glue of at most 250 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "custom_components" / "smart_charging"
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 250
MAX_COORDINATOR_LINES = 250


def _too_long() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                limit = MAX_FUNCTION_LINES
            elif isinstance(node, ast.ClassDef):
                limit = MAX_CLASS_LINES
            else:
                continue
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > limit:
                found.append(f"{path.relative_to(PACKAGE)}:{node.name} {lines}")
    return found


def test_functions_and_classes_are_short() -> None:
    assert _too_long() == []


def test_the_coordinator_is_glue() -> None:
    lines = (PACKAGE / "coordinator.py").read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_COORDINATOR_LINES
