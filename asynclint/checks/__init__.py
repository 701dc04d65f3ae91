"""The rules: one folder per family (`coroutines` ASL1xx, `blocking` ASL2xx, `tasks` ASL3xx,
`testing` ASL4xx, `misuse` ASL5xx), one module per theme, and `shared` for the facts several
families use.

Rules are found, not registered: every concrete `Rule` class (one that declares its own `code`)
defined in a module of a family folder is a rule. ALL_RULES is what every front end reads.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from types import ModuleType

from asynclint.lint.rule import Rule

FAMILIES = ("coroutines", "blocking", "tasks", "testing", "misuse")


def family_modules() -> Iterator[ModuleType]:
    """Every module of the family folders, imported."""
    for family in FAMILIES:
        package = importlib.import_module(f"{__name__}.{family}")
        for info in pkgutil.iter_modules(package.__path__):
            yield importlib.import_module(f"{package.__name__}.{info.name}")


def collect(modules: Iterable[ModuleType]) -> tuple[type[Rule], ...]:
    """The rules the modules define, by code; a code declared twice is an error."""
    found: dict[str, type[Rule]] = {}
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                other = found.setdefault(value.code, value)
                if other is not value:
                    raise RuntimeError(f"rule code {value.code} is declared twice: {other.__qualname__} and {value.__qualname__}")
    return tuple(found[code] for code in sorted(found))


ALL_RULES = collect(family_modules())
RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
