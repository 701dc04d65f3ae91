"""The pytest entry point (`pytest11`): options, the marker, and the per-test hooks.

Disabled (the default), this module only adds its options and registers the marker: the hooks
live on `RuntimeChecker`, which is registered only when the plugin is enabled, and nothing of
asyncio is patched.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from asynclint.frontends.pytest_runtime.findings import RuntimeFinding
    from asynclint.frontends.pytest_runtime.loop import Capture

MARKER = "asynclint_runtime_off"
DEFAULT_SLOW_CALLBACK_DURATION = 0.1  # seconds: asyncio's own default


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asynclint", "asynclint runtime checks")
    group.addoption(
        "--asynclint-runtime", action="store_true", default=False, dest="asynclint_runtime",
        help="fail a test on what asyncio's debug mode finds: coroutines never awaited, lost task "
        "exceptions, tasks pending at teardown, calls to the loop's exception handler, slow steps",
    )
    parser.addini("asynclint_runtime", type="bool", default=False, help="enable asynclint's runtime checks")
    parser.addini(
        "asynclint_slow_callback_duration", default=str(DEFAULT_SLOW_CALLBACK_DURATION),
        help="seconds a callback or task step may hold the loop before the test fails (default 0.1)",
    )


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("asynclint_runtime", False) or config.getini("asynclint_runtime"))


def _slow_duration(config: pytest.Config) -> float:
    raw = config.getini("asynclint_slow_callback_duration")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not value > 0:
        raise pytest.UsageError(f"asynclint_slow_callback_duration must be a number of seconds above 0, not {raw!r}")
    return value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: do not apply asynclint's runtime checks (--asynclint-runtime) to this test"
    )
    if not _enabled(config):
        return
    duration = _slow_duration(config)
    try:
        from asynclint.frontends.pytest_runtime.loop import Capture

        capture = Capture(duration)
        capture.install()
    except Exception:  # noqa: BLE001 - never fail a test session on our account
        config.issue_config_time_warning(
            pytest.PytestWarning(f"asynclint runtime checks are off, they failed to start:\n{traceback.format_exc()}"),
            stacklevel=2,
        )
        return
    config.pluginmanager.register(RuntimeChecker(capture), "asynclint-runtime-checker")


class RuntimeChecker:
    def __init__(self, capture: Capture) -> None:
        self.capture = capture
        self.checking: pytest.Item | None = None

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.capture.uninstall()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, Any]:
        if item.get_closest_marker(MARKER) is None and self._safely(self.capture.start_test):
            self.checking = item
        try:
            return (yield)
        finally:
            self.checking = None
            self._safely(self.capture.end_test)
            self._report_errors(item)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, Any]:
        if self.checking is not item:
            return (yield)
        findings: list[RuntimeFinding] = []
        try:
            result = yield
        except BaseException:
            # The teardown failed on its own: that error is the report, ours goes beside it.
            self._safely(lambda: findings.extend(self.capture.finish_test()))
            text = self._render(item, findings) if findings else None
            if text is not None:
                item.add_report_section("teardown", "asynclint runtime", text)
            raise
        self._safely(lambda: findings.extend(self.capture.finish_test()))
        if findings:
            text = self._render(item, findings)
            if text is not None:
                pytest.fail(text, pytrace=False)
        return result

    def _render(self, item: pytest.Item, findings: list[RuntimeFinding]) -> str | None:
        try:
            from asynclint.frontends.pytest_runtime.findings import render
            from asynclint.frontends.pytest_runtime.static import blocking_codes, static_findings

            for finding in findings:
                if finding.category:
                    finding.code = blocking_codes().get(finding.category, finding.code)
            return render(item.nodeid, findings, static_findings)
        except Exception:  # noqa: BLE001 - never fail a test session on our account
            self.capture.errors.append(traceback.format_exc(limit=3))
            return None

    def _safely(self, function: Any) -> bool:
        try:
            function()
        except Exception:  # noqa: BLE001 - never fail a test session on our account
            self.capture.errors.append(traceback.format_exc(limit=3))
            return False
        return True

    def _report_errors(self, item: pytest.Item) -> None:
        errors, self.capture.errors[:] = list(self.capture.errors), []
        for error in errors:
            item.warn(pytest.PytestWarning(f"asynclint runtime: internal error (the test's result stands):\n{error}"))
