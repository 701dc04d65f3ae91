"""Which binding a later read may see (asynclint/engine/reaching.py), from the blocks alone."""

import textwrap

import libcst as cst
import pytest

from asynclint.engine.reaching import Layout


def _names(function: cst.FunctionDef) -> tuple[dict[int, cst.Name], dict[int, cst.Name]]:
    """The bindings and the reads of `x` in the function, by line (one of each per line here)."""
    wrapper = cst.MetadataWrapper(cst.Module(body=[function]), unsafe_skip_copy=True)
    positions = wrapper.resolve(cst.metadata.PositionProvider)
    targets = {id(node.target) for node in positions if isinstance(node, cst.AssignTarget)}
    bindings, reads = {}, {}
    for node in positions:
        if isinstance(node, cst.Name) and node.value == "x":
            (bindings if id(node) in targets else reads)[positions[node].start.line] = node
    return bindings, reads


def _line(function: cst.FunctionDef, node: cst.Name) -> cst.CSTNode | None:
    """The statement line (or one-line suite) holding `node`, as the walk gives it; None in a
    compound statement's header."""
    found = None

    class Find(cst.CSTVisitor):
        def __init__(self):
            self.lines = []

        def visit_SimpleStatementLine(self, line):
            self.lines.append(line)

        def leave_SimpleStatementLine(self, line):
            self.lines.pop()

        def visit_SimpleStatementSuite(self, line):
            self.lines.append(line)

        def leave_SimpleStatementSuite(self, line):
            self.lines.pop()

        def visit_Name(self, name):
            nonlocal found
            if name is node and self.lines:
                found = self.lines[-1]

    function.visit(Find())
    return found


CASES = [
    # (function, line of the binding asked about, line of the read, reached)
    ("x = a()\nx = 2\nx.y\n", 2, 4, False),  # rebound straight on
    ("x = a()\nif c:\n    x = 2\nx.y\n", 2, 5, True),  # rebound on one branch only
    ("if c:\n    x = a()\nelse:\n    x = 2\nx.y\n", 3, 6, True),
    ("if c:\n    x = a()\nelse:\n    x.y\n", 3, 5, False),  # sibling blocks
    ("if c:\n    x = a()\nelif d:\n    x.y\n", 3, 5, False),
    ("if c:\n    x = a()\nelif d:\n    x = 2\nelse:\n    x = 3\nx.y\n", 3, 8, True),
    ("x = a()\nwith l:\n    x = 2\nx.y\n", 2, 5, False),  # a `with` body always runs
    ("try:\n    x = a()\nexcept E:\n    x = 2\nx.y\n", 3, 6, True),
    ("try:\n    x = a()\nfinally:\n    x = 2\nx.y\n", 3, 6, False),  # a `finally` always runs
    ("x = a()\nfor i in r:\n    x = 2\nx.y\n", 2, 5, True),  # the loop may not run
    ("x = a()\nwhile c:\n    x.y\n    x = 2\n", 2, 4, True),
    ("x = a()\nx = x.y\n", 2, 3, True),  # the read comes before its own statement binds
    ("x = a()\nif c:\n    x = 2\n    x.y\n", 2, 5, False),
    ("x = a(); x.y\n", 2, 2, False),  # one line: not told apart, so not reached
    ("x = a()\nif x.y:\n    x = 2\n", 2, 3, True),  # a read in a compound statement's header
    ("if c: x = a()\nx.y\n", 2, 3, True),  # a one-line suite
    ("x = a()\nmatch v:\n    case 1:\n        x = 2\nx.y\n", 2, 6, True),
]


@pytest.mark.parametrize(("body", "binding", "read", "reached"), CASES)
def test_a_binding_reaches_a_read_unless_another_stands_on_every_path(body, binding, read, reached):
    function = cst.parse_module("def f():\n" + textwrap.indent(body, "    ")).body[0]
    assert isinstance(function, cst.FunctionDef)
    bindings, reads = _names(function)
    start = bindings[binding]
    others = [node for node in bindings.values() if node is not start]
    layout = Layout(function, {id(node): _line(function, node) for node in (*bindings.values(), *reads.values())})
    assert layout.reaches(start, reads[read], others) is reached
