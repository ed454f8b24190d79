"""The import rules of the code base, checked; exit status 1 when one is broken.

1. Layers (import-linter, contracts in ``pyproject.toml``): imports flow one way, from the demo and
   ``wwm_pretrain`` down through ``zhbert``'s subpackages in data-flow order; the library never imports the
   packages above it.
2. No module imports another module's ``_private`` name: neither ``from zhbert.x import _y`` nor
   ``zhbert.x._y`` on an imported module.
3. No import cycle inside a package: in every package, the modules and subpackages directly in it (a subpackage
   standing for all the modules below it) import each other without a cycle. Imports inside functions count:
   a cycle that only a deferred import keeps from failing at start-up is still two modules that need each other.

    python tools/import_rules.py [ROOT]        (ROOT: the repository, by default this script's parent folder)
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("zhbert", "wwm_pretrain", "zhbert_demo")
SCANNED = (*PACKAGES, "tests", "benchmarks", "tools")


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_of(path: Path, root: Path) -> list[str]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _absolute(node: ast.ImportFrom, path: Path, root: Path) -> str:
    """The absolute module name an ``import from`` refers to (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = _module_of(path, root)
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _is_module(name: str, root: Path) -> bool:
    """Whether the dotted ``name`` is a module or package under ``root`` (not a name defined in one)."""
    path = root / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def private_imports(path: Path, root: Path) -> Iterator[str]:
    """``file:line: ...`` for each import of another module's private name in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()  # local names bound to modules of ours
    where = path.relative_to(root)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(node, path, root)
            if not _ours(source):
                continue
            for alias in node.names:
                if _is_private(alias.name):
                    yield f"{where}:{node.lineno}: imports {alias.name} from {source}"
                elif _is_module(f"{source}.{alias.name}", root):
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _ours(alias.name):
                    if any(_is_private(part) for part in alias.name.split(".")):
                        yield f"{where}:{node.lineno}: imports the private module {alias.name}"
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                yield f"{where}:{node.lineno}: uses {ast.unparse(node)}, a private name of another module"


def imported_modules(path: Path, root: Path) -> Iterator[tuple[str, int]]:
    """``(module, line)`` for each module of ours that one file imports (``from a import b`` names ``a.b`` when
    that is a module, else ``a``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _ours(source := _absolute(node, path, root)):
            for alias in node.names:
                target = f"{source}.{alias.name}"
                yield (target if _is_module(target, root) else source), node.lineno
        elif isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names if _ours(alias.name))


def _cycle(start: str, edges: dict[str, dict[str, str]]) -> list[str] | None:
    """The shortest path of edges from ``start`` back to ``start`` (breadth first), or None."""
    paths = {start: [start]}
    queue = [start]
    for node in queue:
        for child in sorted(edges.get(node, {})):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return None


def check_cycles(root: Path) -> list[str]:
    """One line per import cycle among the members of a package (its modules and subpackages)."""
    edges: dict[str, dict[str, dict[str, str]]] = {}  # package -> member -> imported member -> file:line
    for top in PACKAGES:
        for path in sorted((root / top).rglob("*.py")):
            module = _module_of(path, root)
            for target, lineno in imported_modules(path, root):
                other = target.split(".")
                shared = 0  # the package both lie in: their common prefix, short of either module itself
                while shared < min(len(module), len(other)) - 1 and module[shared] == other[shared]:
                    shared += 1
                if shared == 0 or module[:shared] != other[:shared] or module[shared] == other[shared]:
                    continue
                package = ".".join(module[:shared])
                members = edges.setdefault(package, {}).setdefault(module[shared], {})
                members.setdefault(other[shared], f"{path.relative_to(root)}:{lineno}")
    problems = []
    for package, members in sorted(edges.items()):
        reported: set[frozenset[str]] = set()
        for member in sorted(members):
            cycle = _cycle(member, members)
            if cycle is None or frozenset(cycle) in reported:
                continue
            reported.add(frozenset(cycle))
            where = ", ".join(members[a][b] for a, b in itertools.pairwise(cycle))
            problems.append(f"import cycle in {package}: {' -> '.join(cycle)} ({where})")
    return problems


def check_private(root: Path) -> list[str]:
    problems = []
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            problems.extend(private_imports(path, root))
    return problems


def check_layers(root: Path) -> tuple[bool, str]:
    """Run import-linter on the packages under ``root`` with the contracts of ``root/pyproject.toml``."""
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return result.returncode == 0, result.stdout + result.stderr


def main(argv: list[str]) -> int:
    root = Path(argv[0]).resolve() if argv else Path(__file__).resolve().parent.parent
    ok, report = check_layers(root)
    if not ok:
        print(report, end="")
    problems = check_private(root) + check_cycles(root)
    for line in problems:
        print(line)
    if ok and not problems:
        print("import rules: layers kept, no private names imported across modules, no import cycle in a package")
    return 0 if ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
