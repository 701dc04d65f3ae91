"""Which call a sampled frame is stuck in, named as rules/blocking.toml names it.

A frame caught while the loop thread blocks sits on the CALL instruction of the call that has
not returned yet; its source positions give that call's text. The callee's head name is then
resolved through the frame's own namespaces, so `from time import sleep; sleep(1)` and
`time.sleep(1)` both come out as `time.sleep`, as the catalogue lists it.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import types
from dataclasses import dataclass
from inspect import getattr_static
from typing import Any

from asynclint.knowledge import catalogue


@dataclass(frozen=True)
class BlockingCall:
    name: str  # the catalogue's name: "time.sleep", "requests.Session.get"
    category: str  # the catalogue's category: "sleep", "http"…


def _call_text(frame: types.FrameType) -> str | None:
    code = frame.f_code
    index = frame.f_lasti // 2  # one position per 2-byte code unit
    positions = getattr(code, "co_positions", None)  # Python 3.11+: on 3.10 the call is not named
    if positions is None:
        return None
    for i, position in enumerate(positions()):
        if i == index:
            start, end, col, end_col = position
            break
    else:
        return None
    if start is None or end is None or col is None or end_col is None:
        return None
    lines = [linecache.getline(code.co_filename, n, frame.f_globals) for n in range(start, end + 1)]
    if not all(lines):
        return None
    # Columns are byte offsets into the UTF-8 source.
    encoded = [line.encode("utf-8") for line in lines]
    if len(encoded) == 1:
        return encoded[0][col:end_col].decode("utf-8", "replace")
    middle = b"".join(encoded[1:-1])
    return (encoded[0][col:] + middle + encoded[-1][:end_col]).decode("utf-8", "replace")


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


_MISSING = object()


@dataclass(frozen=True)
class SampledFrame:
    """What the watchdog keeps of one frame: taken on its thread, it runs no user code
    (dictionary reads only), and the frame itself is not kept alive."""

    filename: str
    lineno: int
    function: str
    call: str | None  # the text of the call the frame is in
    head: Any  # what the call's first name is bound to in the frame, or _MISSING


def sample(frame: types.FrameType) -> SampledFrame:
    call = _call_text(frame)
    head: Any = _MISSING
    if call is not None:
        name = call.lstrip("( \n").split("(", 1)[0].split(".", 1)[0].strip()
        if name.isidentifier():
            for namespace in (frame.f_locals, frame.f_globals):
                if name in namespace:
                    head = namespace[name]
                    break
            else:
                head = getattr(builtins, name, _MISSING)
    return SampledFrame(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, call, head)


# Objects whose `__module__` and `__qualname__` are plain data: reading them runs no user code.
_NAMED = (
    type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.MethodDescriptorType,
    types.WrapperDescriptorType, types.MethodWrapperType, types.ClassMethodDescriptorType,
)


def _qualified(obj: Any) -> list[str]:
    """Names the catalogue may list `obj` under: its defining module, and its top-level package
    (catalogue entries use the public name: `requests.Session`, not `requests.sessions.Session`)."""
    if isinstance(obj, types.ModuleType):
        return [obj.__name__]
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if not isinstance(obj, _NAMED):
        return []
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(obj, types.MethodDescriptorType | types.ClassMethodDescriptorType | types.WrapperDescriptorType):
        module = obj.__objclass__.__module__
    if not isinstance(module, str) or not isinstance(qualname, str):
        return []
    names = [f"{module}.{qualname}"]
    top = module.partition(".")[0]
    if top != module:
        names.append(f"{top}.{qualname}")
    return names


def _candidates(head: Any, parts: list[str]) -> list[str]:
    rest = parts[1:]
    if head is getattr(builtins, parts[0], _MISSING):
        return [".".join(["builtins", *parts])]
    names = [".".join([base, *rest]) for base in _qualified(head)]
    # The object the chain names (a function imported from elsewhere), or, for a method, the
    # receiver's type (`session.get` on a `requests.Session`). Static lookups only: resolving a
    # name must not run a property or `__getattr__` of the code under test.
    obj = head
    for attr in rest[:-1]:
        obj = getattr_static(obj, attr, None)
    if rest:
        if not isinstance(obj, (types.ModuleType, type)):
            names.extend(f"{base}.{rest[-1]}" for base in _qualified(type(obj)))
        target = getattr_static(obj, rest[-1], None)
        if target is not None:
            names.extend(_qualified(target))
    return names


def blocking_call(frame: SampledFrame) -> BlockingCall | None:
    """The catalogued blocking call `frame` was in the middle of, if any."""
    if frame.call is None or frame.head is _MISSING:
        return None
    try:
        node = ast.parse(frame.call.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    parts = _dotted(node.func)
    if parts is None:
        return None
    table = catalogue.blocking()
    for name in _candidates(frame.head, parts):
        owner, _, method = name.rpartition(".")
        name = f"{catalogue.types().type_name(owner)}.{method}" if owner else name
        entry = table.functions.get(name) or table.methods.get(name)
        if entry is not None:
            return BlockingCall(entry.name, entry.category)
    return None
