"""What a layout-free libcst tree built from CPython's `ast` would cost, against libcst's parse.

The estimate behind issue #23's plan (bench/README.md, "Where rules can report"). The rules, the
semantic model and the summary read only the nodes that carry code (asynclint/engine/traverse.py
skips whitespace, comments and punctuation), and libcst builds 2.7 nodes for each of those. A
tree of libcst's own node classes with the layout left at its defaults, built from `ast.parse`,
is what they would walk unchanged; libcst's own parse would then be needed only where a finding
needs the exact code (its fix, its position, the text its message quotes).

The conversion here is a cost model, not that builder: it makes one libcst node for each node
the real builder would make, of the same class where it is cheap to tell, and leaves out what an
exact builder adds on top (each literal's source text, `elif` told from `else: if`, the order of
mixed positional and keyword arguments); nodes it does not model count as placeholders, and
their share is printed. Garbage collection is off for every measurement (asynclint's runner
keeps the collector to the young generation while it parses; left on, the old trees this script
keeps make every collection slower).

    python bench/layout_free.py ~/.cache/asynclint-bench/files-quick.txt [--repeat 3]
"""

from __future__ import annotations

import argparse
import ast
import gc
import statistics
import sys
import time
from pathlib import Path

import libcst as cst

from asynclint.engine import libcst_access
from asynclint.engine.libcst_access import parse_module
from asynclint.engine.traverse import walk

_BINARY = {
    ast.Add: cst.Add, ast.Sub: cst.Subtract, ast.Mult: cst.Multiply, ast.Div: cst.Divide,
    ast.Mod: cst.Modulo, ast.FloorDiv: cst.FloorDivide, ast.Pow: cst.Power, ast.BitOr: cst.BitOr,
    ast.BitAnd: cst.BitAnd, ast.BitXor: cst.BitXor, ast.LShift: cst.LeftShift,
    ast.RShift: cst.RightShift, ast.MatMult: cst.MatrixMultiply,
}
_COMPARE = {
    ast.Eq: cst.Equal, ast.NotEq: cst.NotEqual, ast.Lt: cst.LessThan, ast.LtE: cst.LessThanEqual,
    ast.Gt: cst.GreaterThan, ast.GtE: cst.GreaterThanEqual, ast.Is: cst.Is, ast.IsNot: cst.IsNot,
    ast.In: cst.In, ast.NotIn: cst.NotIn,
}
_UNARY = {ast.Not: cst.Not, ast.USub: cst.Minus, ast.UAdd: cst.Plus, ast.Invert: cst.BitInvert}


class Builder:
    def __init__(self) -> None:
        self.placeholders = 0
        self.asynchronous = cst.Asynchronous()

    def _placeholder(self) -> cst.Name:
        self.placeholders += 1
        return cst.Name("_")

    def expr(self, node: ast.expr | None):  # one branch per node type
        kind = type(node)
        if kind is ast.Name:
            return cst.Name(node.id)
        if kind is ast.Attribute:
            return cst.Attribute(self.expr(node.value), cst.Name(node.attr))
        if kind is ast.Call:
            args = [cst.Arg(self.expr(a.value), star="*") if type(a) is ast.Starred else cst.Arg(self.expr(a)) for a in node.args]
            args += [
                cst.Arg(self.expr(k.value), keyword=cst.Name(k.arg)) if k.arg else cst.Arg(self.expr(k.value), star="**")
                for k in node.keywords
            ]
            return cst.Call(self.expr(node.func), args)
        if kind is ast.Constant:
            value = node.value
            if isinstance(value, (str, bytes)):
                return cst.SimpleString(repr(value))
            if value is None or value is True or value is False:
                return cst.Name(str(value))
            if value is Ellipsis:
                return cst.Ellipsis()
            if isinstance(value, int):
                return cst.Integer(str(value))
            return cst.Float(repr(value)) if isinstance(value, float) else cst.Imaginary(repr(value))
        if kind is ast.Subscript:
            return cst.Subscript(self.expr(node.value), [cst.SubscriptElement(cst.Index(self.expr(node.slice)))])
        if kind is ast.BinOp:
            return cst.BinaryOperation(self.expr(node.left), _BINARY[type(node.op)](), self.expr(node.right))
        if kind is ast.Compare:
            return cst.Comparison(self.expr(node.left), [
                cst.ComparisonTarget(_COMPARE[type(op)](), self.expr(c)) for op, c in zip(node.ops, node.comparators, strict=True)
            ])
        if kind is ast.BoolOp:
            result = self.expr(node.values[0])
            for value in node.values[1:]:
                result = cst.BooleanOperation(result, cst.And() if type(node.op) is ast.And else cst.Or(), self.expr(value))
            return result
        if kind is ast.UnaryOp:
            return cst.UnaryOperation(_UNARY[type(node.op)](), self.expr(node.operand))
        if kind is ast.Await:
            return cst.Await(self.expr(node.value))
        if kind in (ast.Tuple, ast.List, ast.Set):
            elements = [cst.StarredElement(self.expr(e.value)) if type(e) is ast.Starred else cst.Element(self.expr(e)) for e in node.elts]
            return (cst.Tuple if kind is ast.Tuple else cst.List if kind is ast.List else cst.Set)(elements)
        if kind is ast.Dict:
            return cst.Dict([
                cst.DictElement(self.expr(k), self.expr(v)) if k is not None else cst.StarredDictElement(self.expr(v))
                for k, v in zip(node.keys, node.values, strict=True)
            ])
        if kind is ast.JoinedStr:
            return cst.FormattedString([
                cst.FormattedStringExpression(self.expr(v.value)) if type(v) is ast.FormattedValue else cst.FormattedStringText("-")
                for v in node.values
            ])
        if kind is ast.IfExp:
            return cst.IfExp(self.expr(node.test), self.expr(node.body), self.expr(node.orelse))
        if kind is ast.Lambda:
            return cst.Lambda(self.parameters(node.args), self.expr(node.body))
        if kind in (ast.ListComp, ast.SetComp, ast.GeneratorExp):
            made = cst.ListComp if kind is ast.ListComp else cst.SetComp if kind is ast.SetComp else cst.GeneratorExp
            return made(self.expr(node.elt), self.comprehension(node.generators))
        if kind is ast.DictComp:
            return cst.DictComp(self.expr(node.key), self.expr(node.value), self.comprehension(node.generators))
        if kind is ast.Yield:
            return cst.Yield(self.expr(node.value) if node.value else None)
        if kind is ast.YieldFrom:
            return cst.Yield(cst.From(self.expr(node.value)))
        if kind is ast.NamedExpr:
            return cst.NamedExpr(self.expr(node.target), self.expr(node.value))
        if kind is ast.Starred:
            return cst.StarredElement(self.expr(node.value))
        if kind is ast.Slice:
            return cst.Slice(
                self.expr(node.lower) if node.lower else None, self.expr(node.upper) if node.upper else None,
                self.expr(node.step) if node.step else None,
            )
        return self._placeholder()

    def comprehension(self, generators: list[ast.comprehension]) -> cst.CompFor:
        inner = None
        for generator in reversed(generators):
            inner = cst.CompFor(
                self.expr(generator.target), self.expr(generator.iter), ifs=[cst.CompIf(self.expr(c)) for c in generator.ifs],
                inner_for_in=inner, asynchronous=self.asynchronous if generator.is_async else None,
            )
        assert inner is not None
        return inner

    def _param(self, arg: ast.arg) -> cst.Param:
        return cst.Param(cst.Name(arg.arg), cst.Annotation(self.expr(arg.annotation)) if arg.annotation else None)

    def parameters(self, args: ast.arguments) -> cst.Parameters:
        return cst.Parameters(
            [self._param(a) for a in args.args], posonly_params=[self._param(a) for a in args.posonlyargs],
            kwonly_params=[self._param(a) for a in args.kwonlyargs],
            star_arg=self._param(args.vararg) if args.vararg else cst.MaybeSentinel.DEFAULT,
            star_kwarg=self._param(args.kwarg) if args.kwarg else None,
        )

    def block(self, statements: list[ast.stmt]) -> cst.IndentedBlock:
        return cst.IndentedBlock(self.body(statements))

    def body(self, statements: list[ast.stmt]) -> list:
        out = []
        for statement in statements:
            made = self.statement(statement)
            out.append(made if isinstance(made, cst.BaseCompoundStatement) else cst.SimpleStatementLine([made]))
        return out

    def _else(self, statements: list[ast.stmt]) -> cst.Else | None:
        return cst.Else(self.block(statements)) if statements else None

    def statement(self, node: ast.stmt):  # one branch per node type
        kind = type(node)
        if kind is ast.Expr:
            return cst.Expr(self.expr(node.value))
        if kind is ast.Assign:
            return cst.Assign([cst.AssignTarget(self.expr(t)) for t in node.targets], self.expr(node.value))
        if kind is ast.AnnAssign:
            return cst.AnnAssign(self.expr(node.target), cst.Annotation(self.expr(node.annotation)), self.expr(node.value) if node.value else None)
        if kind is ast.AugAssign:
            return cst.AugAssign(self.expr(node.target), cst.AddAssign(), self.expr(node.value))
        if kind is ast.Return:
            return cst.Return(self.expr(node.value) if node.value else None)
        if kind is ast.Raise:
            return cst.Raise(self.expr(node.exc) if node.exc else None, cst.From(self.expr(node.cause)) if node.cause else None)
        if kind is ast.Assert:
            return cst.Assert(self.expr(node.test), self.expr(node.msg) if node.msg else None)
        if kind is ast.Import:
            return cst.Import([cst.ImportAlias(cst.Name(a.name), cst.AsName(cst.Name(a.asname)) if a.asname else None) for a in node.names])
        if kind is ast.ImportFrom:
            names = node.names
            aliases = cst.ImportStar() if names[0].name == "*" else [
                cst.ImportAlias(cst.Name(a.name), cst.AsName(cst.Name(a.asname)) if a.asname else None) for a in names
            ]
            return cst.ImportFrom(cst.Name(node.module) if node.module else None, aliases, relative=[cst.Dot()] * node.level)
        if kind in (ast.Pass, ast.Break, ast.Continue):
            return cst.Pass() if kind is ast.Pass else cst.Break() if kind is ast.Break else cst.Continue()
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            return cst.FunctionDef(
                cst.Name(node.name), self.parameters(node.args), self.block(node.body),
                decorators=[cst.Decorator(self.expr(d)) for d in node.decorator_list],
                returns=cst.Annotation(self.expr(node.returns)) if node.returns else None,
                asynchronous=self.asynchronous if kind is ast.AsyncFunctionDef else None,
            )
        if kind is ast.ClassDef:
            return cst.ClassDef(
                cst.Name(node.name), self.block(node.body), bases=[cst.Arg(self.expr(b)) for b in node.bases],
                keywords=[cst.Arg(self.expr(k.value), keyword=cst.Name(k.arg) if k.arg else None) for k in node.keywords],
                decorators=[cst.Decorator(self.expr(d)) for d in node.decorator_list],
            )
        if kind is ast.If:
            return cst.If(self.expr(node.test), self.block(node.body), orelse=self._else(node.orelse))
        if kind in (ast.For, ast.AsyncFor):
            return cst.For(
                self.expr(node.target), self.expr(node.iter), self.block(node.body), orelse=self._else(node.orelse),
                asynchronous=self.asynchronous if kind is ast.AsyncFor else None,
            )
        if kind is ast.While:
            return cst.While(self.expr(node.test), self.block(node.body), orelse=self._else(node.orelse))
        if kind in (ast.With, ast.AsyncWith):
            return cst.With(
                [cst.WithItem(self.expr(i.context_expr), cst.AsName(self.expr(i.optional_vars)) if i.optional_vars else None) for i in node.items],
                self.block(node.body), asynchronous=self.asynchronous if kind is ast.AsyncWith else None,
            )
        if kind is ast.Try:
            return cst.Try(
                self.block(node.body),
                [cst.ExceptHandler(self.block(h.body), type=self.expr(h.type) if h.type else None,
                                   name=cst.AsName(cst.Name(h.name)) if h.name else None) for h in node.handlers],
                orelse=self._else(node.orelse), finalbody=cst.Finally(self.block(node.finalbody)) if node.finalbody else None,
            )
        if kind is ast.Delete:
            return cst.Del(self.expr(node.targets[0]))
        if kind in (ast.Global, ast.Nonlocal):
            names = [cst.NameItem(cst.Name(n)) for n in node.names]
            return cst.Global(names) if kind is ast.Global else cst.Nonlocal(names)
        self.placeholders += 1
        return cst.Pass()


def _nodes(module: cst.Module) -> int:
    count = 0

    def enter(node: cst.CSTNode) -> bool:
        nonlocal count
        count += 1
        return True

    walk(module, enter, lambda node: None, leaves=())
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, help="a file listing the paths to measure, one per line")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, interleaved (median reported; default 3)")
    args = parser.parse_args(argv)
    texts = []
    for line in args.files.read_text().splitlines():
        try:
            text = Path(line.strip()).read_text(encoding="utf-8")
            ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        texts.append(text)
    gc.disable()
    # The nodes are built as asynclint's parse builds them: without libcst's revalidation.
    if libcst_access._can_skip_validation():
        cst.CSTNode.__post_init__ = libcst_access._no_validation
    times: dict[str, list[float]] = {"ast.parse": [], "layout-free tree from the ast": [], "libcst parse, as asynclint does": []}
    builder = Builder()
    for _ in range(args.repeat):
        start = time.perf_counter()
        trees = [ast.parse(text) for text in texts]
        times["ast.parse"].append(time.perf_counter() - start)
        builder = Builder()
        start = time.perf_counter()
        light = [cst.Module(builder.body(tree.body)) for tree in trees]
        times["layout-free tree from the ast"].append(time.perf_counter() - start)
        del trees
        start = time.perf_counter()
        real = [parse_module(text) for text in texts]
        times["libcst parse, as asynclint does"].append(time.perf_counter() - start)
        gc.collect()
    floor = statistics.median(times["libcst parse, as asynclint does"])
    print(f"{len(texts)} files, {sum(t.count(chr(10)) for t in texts)} lines; {args.repeat} rounds, medians")
    for name, measured in times.items():
        print(f"{name:<34} {statistics.median(measured):7.2f} s  {statistics.median(measured) / floor:5.2f} x libcst")
    code_nodes = sum(_nodes(m) for m in real)
    print(f"code-carrying nodes: libcst {code_nodes}, layout-free tree {sum(_nodes(m) for m in light)}; "
          f"placeholders {builder.placeholders} ({builder.placeholders / max(code_nodes, 1):.2%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
