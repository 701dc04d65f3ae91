"""The package's shape: layers as folders, lower layers never importing upper ones, no cycles.

Every import counts, those inside functions too (a late import hides a cycle, it does not remove
it); only imports under `if TYPE_CHECKING:` are left out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "asynclint"

# Lowest first. A module may import its own layer and the layers before it.
LAYERS = (
    "asynclint",  # the package itself: its version and the lazily loaded libcst
    "asynclint.knowledge",
    "asynclint.config",
    "asynclint.engine",
    "asynclint.resolve",
    "asynclint.lint",
    "asynclint.checks.shared",
    "asynclint.checks",  # the families; each folder of it is a family
    "asynclint.run",
    "asynclint.output",
    "asynclint.frontends",
    "asynclint.tools",  # modules directly in the package: __main__, docs generation, scaffold
)
MAX_TOP_LEVEL_MODULES = 8


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    if module.count(".") == 1 and not (PACKAGE / module.split(".")[1]).is_dir():
        return LAYERS.index("asynclint.tools") if module != "asynclint" else 0
    best = 0
    for rank, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            best = rank if len(prefix) >= len(LAYERS[best]) else best
    return best


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> set[str]:
    """The asynclint modules `module` imports anywhere but under `if TYPE_CHECKING:`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module) for module in MODULES}


def test_few_modules_sit_directly_in_the_package():
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_layer_above_its_own(module):
    upward = sorted(
        f"{name} ({LAYERS[_layer(name)]})" for name in GRAPH[module]
        if _layer(name) > _layer(module) and name != "asynclint"
    )
    assert upward == [], f"{module} ({LAYERS[_layer(module)]}) imports upwards"


def test_families_do_not_import_each_other():
    families = {m.split(".")[2] for m in MODULES if m.startswith("asynclint.checks.") and m.count(".") >= 3}
    families.discard("shared")
    crossing = sorted(
        (module, name)
        for module in MODULES for name in GRAPH[module]
        if module.count(".") >= 3 and name.count(".") >= 3
        and module.split(".")[:2] == ["asynclint", "checks"] == name.split(".")[:2]
        and module.split(".")[2] in families and name.split(".")[2] in families
        and module.split(".")[2] != name.split(".")[2]
    )
    assert crossing == []


def test_no_import_cycles():
    cycles = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for name in sorted(GRAPH[module]):
            if name == "asynclint" or module == "asynclint":
                continue  # the package's own __init__ imports nothing of asynclint
            if state.get(name) == 1:
                cycles.append(" -> ".join([*stack[stack.index(name):], name]))
            elif name not in state:
                visit(name)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_layer_map_knows_every_folder():
    folders = {
        _module_name(path) for path in PACKAGE.rglob("__init__.py") if path.parent != PACKAGE
    }
    unknown = sorted(
        folder for folder in folders
        if not any(folder == prefix or folder.startswith(prefix + ".") for prefix in LAYERS[1:])
    )
    assert unknown == []


def _rule_classes() -> list[type]:
    """Every class of the package that declares a rule code: found by reading the sources, so a
    rule in a module nobody imports counts too."""
    import importlib

    from asynclint.lint.rule import Rule

    found = []
    for module in MODULES:
        if not module.startswith("asynclint.checks."):
            continue
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(
                isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in s.targets)
                for s in node.body
            ):
                value = getattr(importlib.import_module(module), node.name)
                if issubclass(value, Rule):
                    found.append(value)
    return found


def test_every_rule_class_is_discovered_once():
    from asynclint.checks import ALL_RULES

    declared = _rule_classes()
    assert sorted(r.code for r in declared) == [r.code for r in ALL_RULES]
    assert set(declared) == set(ALL_RULES)
    assert len({r.code for r in ALL_RULES}) == len(ALL_RULES)
    assert len({r.name for r in ALL_RULES}) == len(ALL_RULES)


def test_a_code_declared_twice_is_refused():
    import types

    from asynclint.checks import collect
    from asynclint.lint.rule import Rule

    module = types.ModuleType("asynclint.checks.misuse.twice")
    first = type("First", (Rule,), {"code": "ASL599", "__module__": module.__name__})
    second = type("Second", (Rule,), {"code": "ASL599", "__module__": module.__name__})
    module.First, module.Second = first, second
    with pytest.raises(RuntimeError, match="rule code ASL599 is declared twice: First and Second"):
        collect([module])
    module.Second = type("Second", (Rule,), {"code": "ASL598", "__module__": module.__name__})
    assert collect([module]) == (module.Second, first)
