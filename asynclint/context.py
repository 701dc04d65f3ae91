"""What a rule sees of the file being checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.diagnostics import Fix
from asynclint.options import Settings
from asynclint.semantic import SemanticModel

if TYPE_CHECKING:
    from asynclint.rule import Rule


@dataclass
class Report:
    rule: type[Rule]
    node: cst.CSTNode
    message: str
    fix: Fix | None


class FileContext:
    def __init__(self, path: str, text: str, module: cst.Module, settings: Settings) -> None:
        self.path = path
        self.text = text
        self.module = module
        self.settings = settings
        self.model = SemanticModel()
        self.reports: list[Report] = []

    def report(self, rule: Rule, node: cst.CSTNode, message: str, fix: Fix | None) -> None:
        self.reports.append(Report(type(rule), node, message, fix))
