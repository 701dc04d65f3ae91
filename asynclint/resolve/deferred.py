"""Finishing a `Deferred` type (asynclint/resolve/facts.py) once every summary is in the index.

A deferred type is a root and the steps from it: the root is an instance of a project class
("type"), what calling a project function or class gives ("returns"), or a module constant
("global"); a step reads an attribute (`config`), calls a method (`load()`), awaits the result
(`await`), takes an item (`[]`), iterates (`in`: what a `for` binds) or joins a path (`/`). Each step is finished with what the summaries record: what an
attribute of a class holds (asynclint/resolve/project.py), the return annotation of a function or
a property, a constant's type (asynclint/resolve/blocking_project.py), and what the catalogue
declares of library types (rules/types.toml). Every family asks the same question here: the
blocking rules whether the type blocks, the coroutine rules whether a method of it is a
coroutine function.

What awaiting an `async def` gives is its return annotation; until the `await` step comes, the
value is the coroutine itself, written `await:<type>` so that no other step applies to it.
"""

from __future__ import annotations

from asynclint.knowledge import catalogue
from asynclint.resolve.names import ASYNC, CLASS, SYNC

PATH = "pathlib.Path"
AWAITING = "await:"  # a coroutine whose result is the type after the prefix
CLASS_OF = "class:"  # the class itself (`type[T]`), whose call makes an instance
_ROOTS = ("type", "class", "global", "returns")
MAPPING = "map:"  # a mapping whose values are the type after the prefix (`dict[str, Client]`)
SEQUENCE = "seq:"  # a sequence of that type (`list[Client]`)


def element(container: str, step: str) -> str | None:
    """The type one step from a container type gives: an item (`[]`), a mapping's `.get()`
    (`None` when missing, which says nothing against the type) or `.values()`, what a `for`
    over a sequence binds (`in`)."""
    item = container[len(MAPPING):]  # both prefixes have the same length
    if container.startswith(MAPPING):
        return {"[]": item, "get()": item, "values()": f"{SEQUENCE}{item}"}.get(step)
    if container.startswith(SEQUENCE):
        return item if step in ("[]", "in") else None
    return None
MAX_DEPTH = 8


def constant(index, qualified: str, depth: int = 0) -> str | None:
    """The type of a module-level constant, through re-exports and aliases."""
    if depth > MAX_DEPTH:
        return None
    split = index._split(qualified)
    if split is None:
        return None
    module, rest = split
    summary = index.modules[module]
    if summary is None or len(rest) != 1:
        return None
    found = summary["constants"].get(rest[0])
    if found is not None:
        return found
    for table in ("imports", "aliases"):
        target = summary[table].get(rest[0])
        if target:
            return constant(index, target, depth + 1)
    return None


def _called(index, kind: str | None, returns: str | None) -> str | None:
    """What calling a function of that kind with that return annotation (or inferred return
    type) gives."""
    if returns is None:
        return None
    if ":" in returns:
        returns = made(index, returns)  # inferred from what the function returns: finish it
        if returns is None:
            return None
    if kind == SYNC:
        return returns
    return f"{AWAITING}{returns}" if kind == ASYNC else None


def made(index, target: str) -> str | None:
    """What calling `target` gives: an instance of a class (a library type is taken for one), or
    what a project function's return annotation names (`self.state = make_state()`). A Deferred
    type kept as text (facts.stored) is finished here."""
    kind, sep, rest = target.partition(":")
    if sep and kind in _ROOTS:
        root, _, steps = rest.partition(":")
        making = index.__dict__.setdefault("_making", set())
        if target in making:
            return None  # `self.a = self.b.x` while `self.b = self.a.y`
        making.add(target)
        try:
            return resolve(index, kind, root, steps.split(".") if steps else ())
        finally:
            making.discard(target)
    if sep:
        return target  # a coroutine (`await:T`)
    what = index.lookup(target)
    if what == CLASS:
        return index._class_name(target) or target
    if index._split(target) is None:
        return target
    return _called(index, what, index.lookup(target, table="returns"))


def member(index, held: str | None, step: str) -> str | None:
    """The type of `held` after one step (see the module's docstring)."""
    if held is None:
        return None
    if step == "await":
        return held.removeprefix(AWAITING) if held.startswith(AWAITING) else None
    if held.startswith(AWAITING):
        return None  # a coroutine object: none of its attributes is meant
    if held.startswith((MAPPING, SEQUENCE)):
        return element(held, step)
    # A class's attributes and methods are read as its instances' are (class attributes,
    # classmethods): `cls.context().close()`.
    held = held.removeprefix(CLASS_OF)
    known = catalogue.types()
    held = known.type_name(held)
    if held is None:
        return None
    if step == "/":
        return held if held == PATH else None
    call = step.endswith("()")
    name = step[:-2] if call else step
    if name in known.pure.get(held, ()):
        return held
    if call:
        returned = index.library.returns(f"{held}.{name}")
        if isinstance(returned, str):
            return returned
        awaited = index.library.awaited(f"{held}.{name}")
        if isinstance(awaited, str):
            return f"{AWAITING}{awaited}"
    cls = index._class_name(held)
    if cls is None:  # a library type: what its class declares the attribute or property holds
        return None if call else index.library.attribute(held, name)
    if call:  # a project method, by its return annotation; or a class an attribute holds
        kind = index.method(cls, name)
        if kind is not None:
            return _called(index, kind, index.method(cls, name, table="returns"))
        nested = index.nested_class(cls, name)  # `self.Inner()`: an instance of a nested class
        if nested is not None:
            return nested
        holder = index.attribute(cls, name)  # `event_class: type[Event]`, then `event_class()`
        return holder.removeprefix(CLASS_OF) if holder is not None and holder.startswith(CLASS_OF) else None
    found = index.attribute(cls, step)
    if found is not None:
        return found
    nested = index.nested_class(cls, step)  # `self.Inner`, the class itself
    if nested is not None:
        return f"{CLASS_OF}{nested}"
    returned = index.method(cls, step, table="properties")
    return made(index, returned) if returned is not None and ":" in returned else returned


def resolve(index, kind: str, target: str, steps) -> str | None:
    """The dotted name of the type a deferred value has, or None when the index cannot tell."""
    if kind == "type":
        held = index._class_name(target)
    elif kind == "class":  # a project class, or a library one
        found = index._class_name(target) or (target if index._split(target) is None else None)
        held = f"{CLASS_OF}{found}" if found is not None else None
    elif kind == "global":
        held = constant(index, target)
    elif kind == "returns":
        held = made(index, target)
    elif kind == "either":  # `a or b`: known when both sides are of one type
        left, _, right = target.partition("||")
        held = made(index, left)
        held = held if held is not None and held == made(index, right) else None
    else:
        return None
    for step in steps:
        held = member(index, held, step)
    return catalogue.types().type_name(held)
