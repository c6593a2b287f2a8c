"""Domain code never imports Celery or the task module, and the campaign modules form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CAMPAIGNS = Path(__file__).resolve().parents[2] / "campaigns"
DOMAIN = ["control", "engine", "events", "ingest", "notices", "selectors", "services", "transitions"]
CYCLE_CANDIDATES = ["control", "engine", "notices", "services", "tasks", "transitions", "dispatch"]


def imported_modules(name: str) -> set[str]:
    """Every module `campaigns/<name>.py` imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse((CAMPAIGNS / f"{name}.py").read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("name", DOMAIN)
def test_domain_module_imports_neither_celery_nor_tasks(name: str) -> None:
    imports = imported_modules(name)

    assert not {module for module in imports if module == "celery" or module.startswith("celery.")}
    assert "campaigns.tasks" not in imports


def test_campaign_modules_import_each_other_without_a_cycle() -> None:
    graph = {
        name: {other for other in CYCLE_CANDIDATES if f"campaigns.{other}" in imported_modules(name)}
        for name in CYCLE_CANDIDATES
    }
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' → '.join((*path, name))}"
        if name in done:
            return
        for other in graph[name]:
            visit(other, (*path, name))
        done.add(name)

    for name in CYCLE_CANDIDATES:
        visit(name, ())
