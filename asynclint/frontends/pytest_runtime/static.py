"""The only place the runtime companion talks to the static side of asynclint.

Both functions import lazily: they run only when a failure is being explained, so an enabled
session with no failures, and every disabled one, never loads the engine or libcst. When the
package is reorganised, these two bodies are what to re-point.
"""

from __future__ import annotations

import functools
import os


@functools.lru_cache(maxsize=256)
def _lint(path: str, mtime_ns: int) -> tuple[tuple[int, str], ...]:
    from pathlib import Path

    from asynclint.config.options import ConfigError, Settings, load_settings, relative_to_root
    from asynclint.lint.walker import lint_alone
    from asynclint.run.selection import rules_for

    try:
        settings = load_settings(start=Path(path).parent)
    except ConfigError:
        settings = Settings(root=Path(path).parent)  # the user's config is not ours to fail on here
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    result = lint_alone(text, path, settings, rules_for(settings, relative_to_root(path, settings.root)))
    return tuple((finding.line, finding.code) for finding in result.findings)


def static_findings(path: str) -> tuple[tuple[int, str], ...] | None:
    """(line, code) of what `asynclint` reports in the file at `path`, under the project's own
    configuration; None when the file cannot be read or checked."""
    try:
        return _lint(os.path.abspath(path), os.stat(path).st_mtime_ns)
    except Exception:  # noqa: BLE001 - an unreadable file or an engine error: the runtime finding stands alone
        return None


@functools.cache
def blocking_codes() -> dict[str, str]:
    """Catalogue category ("sleep", "http"…) -> the rule that reports it ("ASL201"…): the rules
    declare their category, so the mapping lives with them and not in a second table here."""
    try:
        from asynclint.config.options import Settings
        from asynclint.run.selection import rules_for

        rules = rules_for(Settings(select=("ALL",)), "x.py")
    except Exception:  # noqa: BLE001 - never fail a test session on our account
        return {}
    categories = {rule.code: getattr(rule, "category", None) for rule in rules}  # only blocking rules have one
    return {category: code for code, category in categories.items() if isinstance(category, str)}
