"""The layers keep their shape: no module of aqstream imports in a circle (at module level or inside a
function), and pages, states and components never import the API layer."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "aqstream"


def modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every aqstream module a file imports, wherever the import statement stands."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aqstream"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name.startswith("aqstream")}
    return {name for name in out if name in known}


def test_no_module_imports_in_a_circle():
    known = modules()
    graph = {name: imports(path, known) - {name} for name, path in known.items()}
    cycles = []

    def visit(name, trail):
        for nxt in graph[name]:
            if nxt in trail:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, trail + [nxt])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_pages_states_and_components_never_import_the_api():
    known = modules()
    wrong = [f"{name} imports {dep}" for name, path in known.items()
             if name.split(".")[1:2] in (["pages"], ["state"], ["components"])
             for dep in imports(path, known) if dep.startswith("aqstream.api")]
    assert not wrong, wrong
