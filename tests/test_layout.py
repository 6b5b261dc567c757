"""The package's layout: stages as subpackages that import downward only, and no import cycle
among matcalc's modules, found from the source with ast (imports inside functions included)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "matcalc"
# The stages, lowest first: a module may import its own stage and the ones before it.
# matcalc/__init__.py (the API's names and __version__) stands below the command that uses them.
STAGES = ["errors", "frozen", "calculus", "language", "formats", "numeric", "derivations", "results", "verify",
          "api", "__init__", "cli", "__main__"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The matcalc modules that `name` imports anywhere in its source: `from .x import y` is x.y
    when that is a module, else x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("matcalc"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("matcalc"))
    found.discard(name)
    return {f for f in found if f in known}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def stage(name: str) -> int:
    parts = name.split(".")
    return STAGES.index("__init__" if len(parts) == 1 else parts[1])


def test_no_import_cycle():
    assert find_cycle(graph()) is None, " → ".join(find_cycle(graph()))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_stages_import_downward_only():
    upward = [f"{a} imports {b}" for a, targets in graph().items() for b in targets
              if stage(b) > stage(a) and not a.endswith("__main__")]
    assert not upward, upward


def test_few_modules_at_the_top_and_the_stages_as_subpackages():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 10, top
    packages = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert {"calculus", "language", "formats", "numeric", "derivations", "cli"} <= set(packages)
    for name in packages:
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc) > 100, f"matcalc/{name}/__init__.py says what its stage takes and gives"


def test_the_readme_architecture_names_every_module():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture"):readme.index("## Development")]
    missing = [name for name in modules() if name.count(".") == 2  # matcalc.stage.module
               and f"({name.rsplit('.', 1)[1]}" not in section and f" {name.rsplit('.', 1)[1]}" not in section]
    assert not missing, f"README's Architecture section does not name {missing}"
