"""`name = value` in its three spellings, for rules about what a single name is bound to."""

from __future__ import annotations

import libcst as cst


class NameBindings:
    """Calls `self.bound(target, value)` for `x = value`, `x: T = value` and `(x := value)`
    (a chained `a = b = value` is left out: two names share the value)."""

    def bound(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        raise NotImplementedError

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self.bound(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.bound(node.target, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bound(node.target, node.value)
