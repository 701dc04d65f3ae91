"""`asynclint server`: a language server over stdio (see docs/server.md).

Its dependencies (pygls, lsprotocol) are an optional extra, `asynclint[server]`; without them
the subcommand says how to install them and exits 2, like any other usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_ERROR = 2
INSTALL_HINT = "asynclint: error: the language server needs its extra: pip install 'asynclint[server]'"


def available() -> bool:
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="asynclint server",
        description="Run the asynclint language server on stdin/stdout (LSP).",
    )
    parser.add_argument("--stdio", action="store_true", help="speak LSP over stdin/stdout (the default and only transport)")
    parser.parse_args(list(argv))
    if not available():
        print(INSTALL_HINT, file=sys.stderr)
        return EXIT_ERROR
    from asynclint.frontends.server.protocol import serve

    return serve()
