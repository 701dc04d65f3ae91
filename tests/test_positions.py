"""Our lean position pass agrees with libcst's PositionProvider on every node."""

from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

import asynclint.engine.positions as module_positions
from asynclint.engine.positions import positions

_IN_MODULE = module_positions._in_module  # as it is, before any test wraps it

SOURCE = '''\
"""Doc."""
import asyncio  # comment

@decorator(  # spread
    1)
async def f(a, b=(1,
                  2), *args, **kw) -> "T":
    x = (  (yield)  )
    if (a and
            b):  pass
    return [await g(i) for i in range(3) if i]  ;  y = {**kw}

class C(Base, metaclass=M):
    async def m(self): return await self.n()\r
'''


def _check(text: str, singles: int = 0) -> None:
    module = cst.parse_module(text)
    reference = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = positions(module, reference.keys())
    assert {id(node): span for node, span in reference.items()} == ours
    nodes = list(reference)
    for node in nodes[:: max(1, len(nodes) // singles)] if singles else ():
        assert positions(module, [node]) == {id(node): reference[node]}  # asked alone


def test_matches_position_provider_on_tricky_code():
    _check(SOURCE, singles=60)


def test_matches_position_provider_on_own_sources():
    for name in ("engine/semantic.py", "lint/walker.py", "checks/tasks/references.py"):
        _check((Path(__file__).parent.parent / "asynclint" / name).read_text(), singles=5)


def _statements_of(module: cst.Module, nodes) -> dict[int, cst.BaseStatement]:
    """For each node, the module-level statement that holds it."""
    wanted = {id(node) for node in nodes}
    hints = {}
    for statement in module.body:
        stack = [statement]
        while stack:
            node = stack.pop()
            if id(node) in wanted:
                hints[id(node)] = statement
            stack.extend(node.children)
    return hints


TRICKY_STATEMENTS = '''\
#!/usr/bin/env python
# leading comment

import os; import sys  # two statements on one line


# comment before a decorator
@first
# comment between decorators
@second(
    1,
)

# comment after the decorators
def f(): return os.sep

class C:
    x = 1
if sys: pass
'''


def test_statement_by_statement_agrees_with_the_whole_module(monkeypatch):
    # Positions found from the statement a node is in (its code generated alone, from where
    # CPython's ast says it starts) are the same as from the whole module's code, and the whole
    # module's code is not generated when the hints are right.
    sources = [SOURCE, TRICKY_STATEMENTS, TRICKY_STATEMENTS.replace("\n", "\r\n"), TRICKY_STATEMENTS.rstrip("\n")]
    sources += [(Path(__file__).parent.parent / "asynclint" / name).read_text() for name in ("lint/walker.py", "checks/tasks/references.py")]
    for text in sources:
        module, nodes, whole, calls = _whole_module_answer(text, monkeypatch)
        hints = _statements_of(module, nodes)
        assert positions(module, nodes, text, hints) == whole
        if text.endswith("\n"):
            assert calls == [len(nodes) - len(hints)] or (not calls and len(nodes) == len(hints))
        # wrong hints (every node said to be in the first statement) still give the right answer
        wrong = {key: module.body[0] for key in hints}
        assert positions(module, nodes, text, wrong) == whole


def _whole_module_answer(text: str, monkeypatch):
    """The module, its nodes, their positions from the whole module's code, and a list that
    records, from now on, how many nodes each whole-module code generation is asked for."""
    module = cst.parse_module(text)
    nodes = list(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    whole = positions(module, nodes)
    calls: list[int] = []
    monkeypatch.setattr(module_positions, "_in_module", lambda m, rest, whole=None: calls.append(len(rest)) or _IN_MODULE(m, rest, whole))
    return module, nodes, whole, calls


NESTED = '''\
import os


class Outer:
    """Doc."""

    # a comment before a decorated method
    @staticmethod
    # between
    @other(
        1)
    def method(a):
        if a:
            x = 1; y = 2
        elif a > 1:  # elif
            # comment inside
            for i in range(3):
                pass
            else:
                while a:
                    a -= 1
                else: pass
        else:
            try:
                with open(a) as f, \\
                        open(a) as g:
                    return f.read()
            except* OSError:
                pass
            except* ValueError as e:
                raise
            else:
                pass
            finally:
                os.sep
        match a:
            case [1, *rest]:
                return rest
            case {"k": v} if v:
                    return v  # deeper than the usual step
            case _: return None

    class Inner:
      def m(self):  # two-space indentation
          async def inner():
              await g()
# a comment at column 0 inside the class
          return inner

def f(): return 1
if f(): pass
'''


def _enclosing_statements(module: cst.Module, nodes) -> dict[int, tuple[cst.BaseStatement, ...]]:
    """For each node, every statement that holds it, innermost first (the module-level one
    last)."""
    wanted = {id(node) for node in nodes}
    hints = {}

    def visit(node, around):
        if isinstance(node, cst.BaseStatement):
            around = (node, *around)
        if id(node) in wanted and around:
            hints[id(node)] = around
        for child in node.children:
            visit(child, around)

    for statement in module.body:
        visit(statement, ())
    return hints


def test_nested_statements_agree_with_the_whole_module(monkeypatch):
    # The innermost statement a node is in has its code generated alone, indented as in the
    # file, from where the paired ast statement says it starts; the answer is the whole module's.
    sources = [NESTED, NESTED.replace("\n", "\r\n"), SOURCE]
    sources += [(Path(__file__).parent.parent / "asynclint" / name).read_text() for name in ("engine/positions.py", "checks/tasks/references.py")]
    for text in sources:
        module, nodes, whole, generated = _whole_module_answer(text, monkeypatch)
        hints = _enclosing_statements(module, nodes)
        assert positions(module, nodes, text, hints) == whole
        assert generated == [len(nodes) - len(hints)]  # the whole module only for unhinted nodes
        # each node asked alone, from its innermost statement
        for node in nodes[::7]:
            if id(node) in hints:
                assert positions(module, [node], text, {id(node): hints[id(node)]}) == {id(node): whole[id(node)]}
        # hints that name wrong statements first still give the right answer
        wrong = {key: (module.body[0], *hint) for key, hint in hints.items()}
        assert positions(module, nodes, text, wrong) == whole
