"""What a rule sees of the file being checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.diagnostics import Fix
from asynclint.options import Settings
from asynclint.project import Ref, SummaryCollector, reference
from asynclint.semantic import SemanticModel

if TYPE_CHECKING:
    from asynclint.rule import Rule


@dataclass
class Report:
    rule: type[Rule]
    node: cst.CSTNode
    message: str
    fix: Fix | None
    condition: Ref | None = None  # the finding stands only if this names a coroutine function


class FileContext:
    def __init__(
        self, path: str, text: str, module: cst.Module, settings: Settings,
        module_name: str = "", is_package: bool = False,
    ) -> None:
        self.path = path
        self.text = text
        self.module = module
        self.settings = settings
        self.module_name = module_name
        self.is_package = is_package
        self.model = SemanticModel()
        self.summary = SummaryCollector(self.model, module_name, is_package)
        self.reports: list[Report] = []

    def report(
        self, rule: Rule, node: cst.CSTNode, message: str, fix: Fix | None, condition: Ref | None = None
    ) -> None:
        self.reports.append(Report(type(rule), node, message, fix, condition))

    def reference(self, func: cst.BaseExpression) -> Ref | None:
        """What a callee refers to, for a condition resolved against the project index."""
        return reference(self.model, func, self.module_name, self.is_package)
