"""`junit`: JUnit XML, which CI systems show as test results: one test suite per file, one
failing test case per finding (an error for a file that could not be checked), and a single
passing case when there is nothing to report.

The document is always well-formed XML 1.0: markup characters are escaped, a newline or tab in
an attribute is a character reference (so it survives attribute normalisation), and characters
XML cannot hold at all (other control characters, the undecodable bytes of a file name) are
written as `\\xNN`. A notebook's test case has no `line` and `column` (its lines are JSON);
its text names the cell, line and column.
"""

from __future__ import annotations

import re

from asynclint.output.entries import Entry

# What XML 1.0 cannot hold: C0 controls but tab, newline and CR; surrogates; U+FFFE and U+FFFF.
_UNREPRESENTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escaped(match: re.Match[str]) -> str:
    char = ord(match.group())
    if 0xDC80 <= char <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{char - 0xDC00:02x}"
    return f"\\x{char:02x}" if char < 0x100 else f"\\u{char:04x}"


def _text(value: str) -> str:
    value = _UNREPRESENTABLE.sub(_escaped, value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    return '"' + _text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"'


def _classname(path: str) -> str:
    stem = path[:-3] if path.endswith(".py") else path
    return stem.replace("\\", "/").strip("/").replace("/", ".")


def render(items: list[Entry]) -> str:
    failures = sum(1 for e in items if not e.is_error)
    errors = len(items) - failures
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    out.append(f'<testsuites name="asynclint" tests="{max(len(items), 1)}" failures="{failures}" errors="{errors}">\n')
    if not items:
        out.append('  <testsuite name="asynclint" tests="1" failures="0" errors="0">\n')
        out.append('    <testcase name="All checks passed" classname="asynclint"/>\n')
        out.append("  </testsuite>\n")
    files: dict[str, list[Entry]] = {}
    for e in items:
        files.setdefault(e.path, []).append(e)
    for path, found in files.items():
        failed = sum(1 for e in found if not e.is_error)
        out.append(
            f"  <testsuite name={_attribute(path)} tests=\"{len(found)}\" failures=\"{failed}\" "
            f"errors=\"{len(found) - failed}\">\n"
        )
        for e in found:
            position = f' line="{e.line}" column="{e.column}"' if e.cell is None else ""
            out.append(
                f"    <testcase name={_attribute(f'asynclint.{e.code}')} classname={_attribute(_classname(path))}"
                f"{position}>\n"
            )
            tag = "error" if e.is_error else "failure"
            where = f"line {e.line}, col {e.column}" if e.cell is None else e.place
            out.append(
                f"      <{tag} message={_attribute(e.message)} type={_attribute(e.code)}>"
                f"{_text(f'{where}, {e.code} {e.message}')}</{tag}>\n"
            )
            out.append("    </testcase>\n")
        out.append("  </testsuite>\n")
    out.append("</testsuites>\n")
    return "".join(out)
