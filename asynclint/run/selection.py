"""Which rules run on which file: select / extend-select / ignore / per-file-ignores.

Prefixes work as in flake8 and ruff: the most specific matching entry decides, and on a tie
`ignore` wins. Opt-in rules (`Rule.opt_in`, noisy by nature, like ruff's preview rules) run only
when their full code is selected: no prefix and no `ALL` enables them.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pathspec

from asynclint.config.options import Settings

if TYPE_CHECKING:
    from asynclint.lint.rule import Rule


def _longest(code: str, prefixes: tuple[str, ...]) -> int:
    lengths = [0 if p == "ALL" else len(p) for p in prefixes if p == "ALL" or code.startswith(p)]
    return max(lengths, default=-1)


def is_enabled(code: str, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    chosen = _longest(code, select)
    return chosen >= 0 and chosen > _longest(code, ignore)


def rule_enabled(rule: type[Rule], select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    """Opt-in rules need their exact code selected; a prefix or `ALL` does not turn them on."""
    if rule.opt_in and rule.code not in select:
        return False
    return is_enabled(rule.code, select, ignore)


@functools.lru_cache(maxsize=64)
def _enabled(settings: Settings) -> tuple[type[Rule], ...]:
    select = settings.select + settings.extend_select
    from asynclint.checks import ALL_RULES  # here: importing the rules loads libcst

    return tuple(rule for rule in ALL_RULES if rule_enabled(rule, select, settings.ignore))


def enabled_codes(settings: Settings) -> frozenset[str]:
    return frozenset(rule.code for rule in _enabled(settings))


@functools.lru_cache(maxsize=64)
def _per_file_specs(settings: Settings) -> tuple[tuple[pathspec.GitIgnoreSpec, tuple[str, ...]], ...]:
    return tuple(
        (pathspec.GitIgnoreSpec.from_lines([pattern]), codes)
        for pattern, codes in settings.per_file_ignores
    )


def rules_for(settings: Settings, relative_path: str) -> tuple[type[Rule], ...]:
    """The rules to run on the file at `relative_path` (posix, relative to the project root)."""
    rules = _enabled(settings)
    ignored = tuple(
        code
        for spec, codes in _per_file_specs(settings)
        if spec.match_file(relative_path)
        for code in codes
    )
    if ignored:
        rules = tuple(rule for rule in rules if _longest(rule.code, ignored) < 0)
    return rules
