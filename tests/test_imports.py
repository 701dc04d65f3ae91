"""How asynclint loads libcst: late (a run answered from the cache never needs it), and without
slowing libcst's own imports down."""

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_libcst_is_loaded_on_first_use_only():
    out = _run(
        """
        import sys
        import asynclint.run.runner
        print(type(sys.modules["libcst"]).__name__)
        from asynclint.engine.libcst_access import libcst
        libcst.parse_module("x = 1\\n")
        print(type(sys.modules["libcst"]).__name__)
        """
    )
    assert out.splitlines() == ["_LazyModule", "module"]


def test_the_late_libcst_looks_loaded_to_the_import_system():
    # libcst's native parser imports libcst for every node it builds; the import system checks
    # `__spec__._initializing` each time, and a missing attribute made every parse 19% slower.
    out = _run(
        """
        import sys
        import asynclint
        from asynclint.engine.libcst_access import libcst
        libcst.parse_module("x = 1\\n")
        print(sys.modules["libcst"].__spec__._initializing)
        """
    )
    assert out == "False"
