"""Our lean position pass agrees with libcst's PositionProvider on every node."""

from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from asynclint.positions import positions

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
    for name in ("semantic.py", "engine.py", "checks/tasks.py"):
        _check((Path(__file__).parent.parent / "asynclint" / name).read_text(), singles=5)
