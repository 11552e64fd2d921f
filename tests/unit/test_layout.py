"""The house's shape: package-level imports (every import statement, including the ones inside
functions and under TYPE_CHECKING) form no cycle, and ``ingest`` stands on ``tutor.core``/``text``/
``models`` only (it gets the store, the sparse encoder and the rubrics through ``ingest.pipeline.Adapters``)."""

from __future__ import annotations

import ast

from tests.paths import REPO

TOP = ("ingest", "ui", "evals")


def package_of(module: str) -> str | None:
    """'tutor.grading.rubric' -> 'tutor.grading'; 'tutor.services' -> 'tutor.services'; 'ingest.x' -> 'ingest'."""
    parts = module.split(".")
    if parts[0] == "tutor":
        return ".".join(parts[:2]) if len(parts) > 1 else "tutor"
    return parts[0] if parts[0] in TOP else None


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for root in ("tutor", *TOP):
        for path in (REPO / root).rglob("*.py"):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            src = package_of(module.removesuffix(".__init__"))
            if src is None:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
                for name in names:
                    dst = package_of(name)
                    if dst and dst != src:
                        edges.setdefault(src, set()).add(dst)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt == path[0]:
                found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:
                walk(nxt, [*path, nxt])

    for start in sorted(edges):
        walk(start, [start])
    return found


def test_the_package_graph_has_no_cycle() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_ingest_stands_on_core_text_and_models_only() -> None:
    assert graph()["ingest"] <= {"tutor.core", "tutor.text", "tutor.models"}


def test_the_text_and_core_layers_import_no_capability() -> None:
    edges = graph()
    assert edges.get("tutor.core", set()) <= {"tutor.text"} and edges.get("tutor.text", set()) <= {"tutor.core"}


def test_the_graph_sees_imports_inside_functions() -> None:
    assert "tutor.grading" in graph()["tutor.services"]  # Services.grader imports it lazily
