"""The rules, one module per family or theme. ALL_RULES is the registry every front end reads."""

from __future__ import annotations

from asynclint.checks import (
    blocking, cancellation, coroutines, definitions, handoffs, helpers, locks, loops, tasks, testing, untested,
    values, waiting,
)

ALL_RULES = tuple(
    sorted(
        (
            *coroutines.RULES, *values.RULES, *handoffs.RULES, *tasks.RULES,
            *blocking.RULES, *helpers.RULES,
            *testing.RULES, *untested.RULES,
            # ASL5xx, other asyncio misuse:
            *loops.RULES, *cancellation.RULES, *locks.RULES, *definitions.RULES, *waiting.RULES,
        ),
        key=lambda rule: rule.code,
    )
)
RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
