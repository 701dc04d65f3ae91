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


def _check(text: str) -> None:
    module = cst.parse_module(text)
    reference = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = positions(module, reference.keys())
    assert {id(node): span for node, span in reference.items()} == ours
    for node in list(reference)[::7]:  # one node asked alone gets the same answer
        assert positions(module, [node]) == {id(node): reference[node]}


def test_matches_position_provider_on_tricky_code():
    _check(SOURCE)


def test_matches_position_provider_on_own_sources():
    for path in sorted((Path(__file__).parent.parent / "asynclint").rglob("*.py")):
        _check(path.read_text())
