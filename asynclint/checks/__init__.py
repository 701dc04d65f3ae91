"""The rules, one module per family. ALL_RULES is the registry every front end reads."""

from __future__ import annotations

from asynclint.checks import coroutines, handoffs, tasks, testing, untested, values

ALL_RULES = tuple(
    sorted(
        (*coroutines.RULES, *values.RULES, *handoffs.RULES, *tasks.RULES, *testing.RULES, *untested.RULES),
        key=lambda rule: rule.code,
    )
)
RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
