"""The rules, one module per family. ALL_RULES is the registry every front end reads."""

from __future__ import annotations

from asynclint.checks import blocking, coroutines, handoffs, helpers, tasks, values

ALL_RULES = tuple(
    sorted(
        (*coroutines.RULES, *values.RULES, *handoffs.RULES, *blocking.RULES, *helpers.RULES, *tasks.RULES),
        key=lambda rule: rule.code,
    )
)
RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
