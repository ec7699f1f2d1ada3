"""The package map holds: at most ten modules directly in ``kb/``, every subpackage states what it
owns, no import cycle (lazy and ``TYPE_CHECKING`` imports included), and each layer imports only
downward (docs/DESIGN.md draws the layers)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "kb"

# Layer of each top-level part of kb: a module may import its own layer's foundation and below.
ENTRY = {"kb.api", "kb.cli", "kb.mcp", "kb.runtime", "kb.config_doc"}
CAPABILITIES = {"kb.search", "kb.answer", "kb.ingest", "kb.lifecycle", "kb.alerts", "kb.insights"}
# Capabilities that may use each other (in this direction only).
SIDEWAYS = {
    ("kb.answer", "kb.search"),
    ("kb.answer", "kb.lifecycle"),
    ("kb.search", "kb.lifecycle"),
    ("kb.ingest", "kb.search"),
    ("kb.ingest", "kb.lifecycle"),
    ("kb.ingest", "kb.answer"),  # the answerer's candidate sentences are embedded at ingest
    ("kb.alerts", "kb.lifecycle"),
    ("kb.alerts", "kb.search"),
    ("kb.insights", "kb.lifecycle"),
    ("kb.insights", "kb.search"),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in KB.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every kb module ``name`` imports anywhere in its body (functions and TYPE_CHECKING too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("kb"):
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def test_at_most_ten_modules_directly_in_kb() -> None:
    top = sorted(p.name for p in KB.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= 10, top


def test_every_subpackage_says_what_it_owns_and_may_import() -> None:
    for init in KB.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "Owns:" in doc and "May import:" in doc, f"{init.relative_to(ROOT)} lacks its map"


def test_no_import_cycle() -> None:
    graph = _graph()
    # A package importing its own submodules (its __init__ re-exporting them) is not a cycle
    # unless a submodule imports back a *different* module that leads to it.
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if node.startswith(dep + "."):
                continue  # a submodule "imports" its parent package implicitly; not a dependency
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _layer(part: str) -> int:
    if part in ENTRY:
        return 2
    if part in CAPABILITIES:
        return 1
    return 0  # foundation: kb.store, kb.config, kb.records, kb.errors, kb.clock, kb.auth, ...


def test_layers_import_only_downward() -> None:
    wrong = []
    for module, deps in _graph().items():
        src = _part(module)
        for dep in deps:
            dst = _part(dep)
            if src == dst or module.startswith(dep + "."):
                continue
            if _layer(dst) > _layer(src):
                wrong.append(f"{module} -> {dep}")
            elif _layer(dst) == _layer(src) == 1 and (src, dst) not in SIDEWAYS:
                wrong.append(f"{module} -> {dep} (capabilities: only {sorted(SIDEWAYS)})")
    assert not wrong, "\n".join(sorted(wrong))
