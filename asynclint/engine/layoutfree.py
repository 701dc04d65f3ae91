"""libcst trees without layout, built from CPython's `ast` (issue #23's next step).

The rules, the semantic model and the summary read only the nodes that carry code
(`engine/traverse.py` skips whitespace, comments and punctuation), and libcst's parser builds
nearly three nodes for each of those. This builds the same code-carrying nodes, of libcst's own
classes, from `ast.parse`, with every layout field left at its default: on the benchmark corpus
for about a third of libcst's parse (bench/layout_free.py). Literals keep their source text
(`0x1F`, `'it''s'` as two strings), `elif` stays an `If` in `orelse`, arguments keep their source
order, one-line bodies are `SimpleStatementSuite`s and `a; b` is one `SimpleStatementLine`.

What is rare or intricate is handed to libcst itself, on that piece of source alone: f-strings,
`match`, `try`/`except*`, type parameters and aliases, starred subscripts. The result's walk
equals the walk of libcst's own tree node for node (tests/test_layoutfree.py compares them on real
files); what it does not have is layout: parentheses, whitespace, comments, commas, so nothing
that generates code or reads layout (positions, fixes, the text a message quotes) may use it.

Not wired into the pipeline yet: that needs the findings' nodes found again in libcst's tree of
their statements (bench/README.md, "Where rules can report").
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import libcst as cst

from asynclint.engine.deepstack import cpython_limits
from asynclint.engine.libcst_access import unvalidated

_BINARY: dict[type, Callable[[], Any]] = {
    ast.Add: cst.Add, ast.Sub: cst.Subtract, ast.Mult: cst.Multiply, ast.Div: cst.Divide,
    ast.Mod: cst.Modulo, ast.FloorDiv: cst.FloorDivide, ast.Pow: cst.Power, ast.BitOr: cst.BitOr,
    ast.BitAnd: cst.BitAnd, ast.BitXor: cst.BitXor, ast.LShift: cst.LeftShift,
    ast.RShift: cst.RightShift, ast.MatMult: cst.MatrixMultiply,
}
_AUGMENTED: dict[type, Callable[[], Any]] = {
    ast.Add: cst.AddAssign, ast.Sub: cst.SubtractAssign, ast.Mult: cst.MultiplyAssign,
    ast.Div: cst.DivideAssign, ast.Mod: cst.ModuloAssign, ast.FloorDiv: cst.FloorDivideAssign,
    ast.Pow: cst.PowerAssign, ast.BitOr: cst.BitOrAssign, ast.BitAnd: cst.BitAndAssign,
    ast.BitXor: cst.BitXorAssign, ast.LShift: cst.LeftShiftAssign,
    ast.RShift: cst.RightShiftAssign, ast.MatMult: cst.MatrixMultiplyAssign,
}
_COMPARE: dict[type, Callable[[], Any]] = {
    ast.Eq: cst.Equal, ast.NotEq: cst.NotEqual, ast.Lt: cst.LessThan, ast.LtE: cst.LessThanEqual,
    ast.Gt: cst.GreaterThan, ast.GtE: cst.GreaterThanEqual, ast.Is: cst.Is, ast.IsNot: cst.IsNot,
    ast.In: cst.In, ast.NotIn: cst.NotIn,
}
_UNARY: dict[type, Callable[[], Any]] = {ast.Not: cst.Not, ast.USub: cst.Minus, ast.UAdd: cst.Plus, ast.Invert: cst.BitInvert}

# One string literal from its start: a prefix, then a body up to the matching quote (a backslash
# escapes the next character, in raw strings too, as the tokenizer reads them).
_STRING = re.compile(
    r"""[A-Za-z]{0,2}(?:'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")""",
    re.DOTALL,
)
# What may stand between the literals of an implicit concatenation.
_BETWEEN = re.compile(r"(?:[ \t\f\r\n]|\\\r?\n|#[^\r\n]*)*")
_NEWLINE = re.compile(r"\r\n?|\n")
_COMMENT = re.compile(r"#[^\r\n]*")

# Statements handed to libcst whole.
_DELEGATED_STATEMENTS: tuple[type, ...] = tuple(
    getattr(ast, name) for name in ("Match", "TryStar", "TypeAlias") if hasattr(ast, name)
)


class _Declined(Exception):
    """The source holds what this builder does not make (libcst then parses the file)."""


def build(text: str) -> cst.Module | None:
    """The layout-free tree of `text`; None when CPython cannot parse it, or when the builder
    declines (the caller then parses with libcst)."""
    try:
        with cpython_limits():
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        with unvalidated():  # CPython accepted the code; libcst's parser is not asked to validate either
            return cst.Module(body=_Builder(text).body(tree.body))
    except (_Declined, RecursionError, cst.ParserSyntaxError):
        return None


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        self.asynchronous = cst.Asynchronous()

    # -- source text ---------------------------------------------------------------------------

    def offset(self, line: int, column: int) -> int:
        """The character offset of `ast`'s (line, UTF-8 byte column)."""
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        content = self.text[start:end]
        if content.isascii():
            return start + column
        return start + len(content.encode("utf-8")[:column].decode("utf-8", "replace"))

    def segment(self, node: ast.AST) -> str:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return self.text[start:end]

    def _start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def _end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def delegated_expression(self, node: ast.expr) -> cst.BaseExpression:
        source = self.segment(node)
        # Parenthesized, so that a piece spread over lines parses alone; the parentheses added
        # are layout, taken off again.
        parsed = cst.parse_expression(f"({source})")
        return parsed.with_changes(lpar=(), rpar=()) if parsed.lpar else parsed

    def delegated_statement(self, node: ast.stmt) -> cst.BaseStatement:
        start, end = self._start(node), self._end(node)
        if node.col_offset == 0:
            return cst.parse_statement(self.text[start:end] + "\n")
        # Indented: its lines as written (`except*` clauses line up with `try`), in a block.
        line_start = self.starts[node.lineno - 1]
        indent = self.text[line_start:start]
        if indent.strip():
            raise _Declined("a statement after another on its line")
        wrapped = cst.parse_statement(f"if 1:\n{indent}{self.text[start:end]}\n")
        assert isinstance(wrapped, cst.If) and isinstance(wrapped.body, cst.IndentedBlock)
        return wrapped.body.body[0]

    # -- statements ----------------------------------------------------------------------------

    def body(self, statements: list[ast.stmt]) -> list[cst.SimpleStatementLine | cst.BaseCompoundStatement]:
        out: list[cst.SimpleStatementLine | cst.BaseCompoundStatement] = []
        line: list[cst.BaseSmallStatement] = []
        previous: ast.stmt | None = None
        for statement in statements:
            made: Any
            if isinstance(statement, _DELEGATED_STATEMENTS):
                made = self.delegated_statement(statement)
                if isinstance(made, cst.SimpleStatementLine):  # a type alias, alone on its line
                    made = made.body[0]
            else:
                made = self.statement(statement)
            if isinstance(made, cst.BaseCompoundStatement):
                if line:
                    out.append(cst.SimpleStatementLine(body=line))
                    line = []
                out.append(made)
            elif line and previous is not None and self._same_line(previous, statement):
                line.append(made)
            else:
                if line:
                    out.append(cst.SimpleStatementLine(body=line))
                line = [made]
            previous = statement
        if line:
            out.append(cst.SimpleStatementLine(body=line))
        return out

    def _same_line(self, previous: ast.stmt, statement: ast.stmt) -> bool:
        """Whether `a; b`: only a semicolon between them."""
        between = self.text[self._end(previous):self._start(statement)]
        joined = between.replace("\\\r\n", "").replace("\\\n", "")  # backslash continuations
        return "\n" not in joined and "\r" not in joined and joined.strip(" \t\f") == ";"

    def block(self, header_end: int, statements: list[ast.stmt]) -> cst.BaseSuite:
        """`IndentedBlock`, or `SimpleStatementSuite` for a body on the header's line."""
        first = statements[0]
        # Only spaces, a comment and backslash continuations can stand between (a comment
        # ending in a backslash continues nothing).
        between = _COMMENT.sub("", self.text[header_end:self._start(first)])
        joined = between.replace("\\\r\n", "").replace("\\\n", "")
        if "\n" not in joined and "\r" not in joined:
            body = self.body(statements)
            if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
                raise _Declined("compound statement on a header's line")
            return cst.SimpleStatementSuite(body=body[0].body)
        return cst.IndentedBlock(body=self.body(statements))

    def _colon_before(self, statements: list[ast.stmt], after: int) -> int:
        """Where the header ending before `statements` ends: its colon, found backwards from the
        first statement (only spaces, comments and newlines can stand between)."""
        start = self._start(statements[0])
        colon = self.text.rfind(":", after, start)
        if colon < 0:
            raise _Declined("no colon before a block")
        return colon + 1

    def _suite(self, statements: list[ast.stmt], after: int) -> cst.BaseSuite:
        return self.block(self._colon_before(statements, after), statements)

    def _else(self, statements: list[ast.stmt], after: int) -> cst.Else | None:
        if not statements:
            return None
        return cst.Else(body=self._suite(statements, after))

    def statement(self, node: ast.stmt) -> Any:  # one branch per node type
        kind = type(node)
        e = self.expr
        if kind is ast.Expr:
            return cst.Expr(value=e(node.value))  # type: ignore[attr-defined]
        if kind is ast.Assign:
            return cst.Assign(targets=[cst.AssignTarget(target=e(t)) for t in node.targets], value=e(node.value))  # type: ignore[attr-defined]
        if kind is ast.AnnAssign:
            assert isinstance(node, ast.AnnAssign)
            return cst.AnnAssign(
                target=e(node.target), annotation=cst.Annotation(annotation=e(node.annotation)),
                value=e(node.value) if node.value is not None else None,
            )
        if kind is ast.AugAssign:
            assert isinstance(node, ast.AugAssign)
            return cst.AugAssign(target=e(node.target), operator=_AUGMENTED[type(node.op)](), value=e(node.value))
        if kind is ast.Return:
            return cst.Return(value=e(node.value) if node.value is not None else None)  # type: ignore[attr-defined]
        if kind is ast.Raise:
            assert isinstance(node, ast.Raise)
            return cst.Raise(
                exc=e(node.exc) if node.exc is not None else None,
                cause=cst.From(item=e(node.cause)) if node.cause is not None else None,
            )
        if kind is ast.Assert:
            assert isinstance(node, ast.Assert)
            return cst.Assert(test=e(node.test), msg=e(node.msg) if node.msg is not None else None)
        if kind is ast.Import:
            assert isinstance(node, ast.Import)
            return cst.Import(names=[self._alias(a) for a in node.names])
        if kind is ast.ImportFrom:
            assert isinstance(node, ast.ImportFrom)
            names: Any = cst.ImportStar() if node.names[0].name == "*" else [self._alias(a) for a in node.names]
            return cst.ImportFrom(
                module=_dotted(node.module) if node.module else None, names=names,
                relative=[cst.Dot() for _ in range(node.level)],
            )
        if kind is ast.Pass:
            return cst.Pass()
        if kind is ast.Break:
            return cst.Break()
        if kind is ast.Continue:
            return cst.Continue()
        if kind is ast.Delete:
            assert isinstance(node, ast.Delete)
            targets = node.targets
            if len(targets) == 1:
                return cst.Del(target=e(targets[0]))
            return cst.Del(target=cst.Tuple(elements=[self.element(t) for t in targets]))
        if kind is ast.Global or kind is ast.Nonlocal:
            declared = [cst.NameItem(name=cst.Name(value=n)) for n in node.names]  # type: ignore[attr-defined]
            return cst.Global(names=declared) if kind is ast.Global else cst.Nonlocal(names=declared)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            return self.function(node)  # type: ignore[arg-type]
        if kind is ast.ClassDef:
            return self.class_def(node)  # type: ignore[arg-type]
        if kind is ast.If:
            return self.if_statement(node)  # type: ignore[arg-type]
        if kind is ast.For or kind is ast.AsyncFor:
            assert isinstance(node, (ast.For, ast.AsyncFor))
            body = self._suite(node.body, self._end(node.iter))
            return cst.For(
                target=e(node.target), iter=e(node.iter), body=body,
                orelse=self._else(node.orelse, self._end(node.body[-1])),
                asynchronous=self.asynchronous if kind is ast.AsyncFor else None,
            )
        if kind is ast.While:
            assert isinstance(node, ast.While)
            return cst.While(
                test=e(node.test), body=self._suite(node.body, self._end(node.test)),
                orelse=self._else(node.orelse, self._end(node.body[-1])),
            )
        if kind is ast.With or kind is ast.AsyncWith:
            assert isinstance(node, (ast.With, ast.AsyncWith))
            items = [
                cst.WithItem(
                    item=e(i.context_expr),
                    asname=cst.AsName(name=e(i.optional_vars)) if i.optional_vars is not None else None,
                )
                for i in node.items
            ]
            last = node.items[-1]
            header_end = self._end(last.optional_vars if last.optional_vars is not None else last.context_expr)
            return cst.With(
                items=items, body=self._suite(node.body, header_end),
                asynchronous=self.asynchronous if kind is ast.AsyncWith else None,
            )
        if kind is ast.Try:
            return self.try_statement(node)  # type: ignore[arg-type]
        raise _Declined(kind.__name__)

    def _alias(self, alias: ast.alias) -> cst.ImportAlias:
        return cst.ImportAlias(
            name=_dotted(alias.name),
            asname=cst.AsName(name=cst.Name(value=alias.asname)) if alias.asname else None,
        )

    def _decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[cst.Decorator]:
        return [cst.Decorator(decorator=self.expr(d)) for d in node.decorator_list]

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> cst.FunctionDef:
        if getattr(node, "type_params", None):
            raise _Declined("type parameters")
        header = node.returns if node.returns is not None else None
        after = self._end(header) if header is not None else self._start(node)
        return cst.FunctionDef(
            name=cst.Name(value=node.name), params=self.parameters(node.args), body=self._suite(node.body, after),
            decorators=self._decorators(node),
            returns=cst.Annotation(annotation=self.expr(node.returns)) if node.returns is not None else None,
            asynchronous=self.asynchronous if isinstance(node, ast.AsyncFunctionDef) else None,
        )

    def class_def(self, node: ast.ClassDef) -> cst.ClassDef:
        if getattr(node, "type_params", None):
            raise _Declined("type parameters")
        arguments: list[ast.expr | ast.keyword] = sorted(
            [*node.bases, *node.keywords], key=lambda a: (a.lineno, a.col_offset),
        )
        bases: list[cst.Arg] = []
        keywords: list[cst.Arg] = []
        for argument in arguments:
            made = self.argument(argument)
            (keywords if made.keyword is not None or made.star == "**" else bases).append(made)
        after = self._end(arguments[-1]) if arguments else self._start(node)
        return cst.ClassDef(
            name=cst.Name(value=node.name), body=self._suite(node.body, after), bases=bases, keywords=keywords,
            decorators=self._decorators(node),
        )

    def if_statement(self, node: ast.If) -> cst.If:
        body = self._suite(node.body, self._end(node.test))
        orelse: cst.If | cst.Else | None = None
        if node.orelse:
            first = node.orelse[0]
            if len(node.orelse) == 1 and isinstance(first, ast.If) and self.text.startswith("elif", self._start(first)):
                orelse = self.if_statement(first)
            else:
                orelse = self._else(node.orelse, self._end(node.body[-1]))
        return cst.If(test=self.expr(node.test), body=body, orelse=orelse)

    def try_statement(self, node: ast.Try) -> cst.Try:
        body = self._suite(node.body, self._start(node))
        handlers = []
        after = self._end(node.body[-1])
        for handler in node.handlers:
            handlers.append(cst.ExceptHandler(
                body=self._suite(handler.body, self._end(handler.type) if handler.type is not None else after),
                type=self.expr(handler.type) if handler.type is not None else None,
                name=cst.AsName(name=cst.Name(value=handler.name)) if handler.name else None,
            ))
            after = self._end(handler.body[-1])
        orelse = self._else(node.orelse, after)
        if node.orelse:
            after = self._end(node.orelse[-1])
        final = cst.Finally(body=self._suite(node.finalbody, after)) if node.finalbody else None
        return cst.Try(body=body, handlers=handlers, orelse=orelse, finalbody=final)

    # -- parameters ----------------------------------------------------------------------------

    def _param(self, arg: ast.arg, default: ast.expr | None = None, star: str = "") -> cst.Param:
        return cst.Param(
            name=cst.Name(value=arg.arg),
            annotation=cst.Annotation(annotation=self.expr(arg.annotation)) if arg.annotation is not None else None,
            default=self.expr(default) if default is not None else None,
            star=star,
        )

    def parameters(self, args: ast.arguments) -> cst.Parameters:
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        made = [self._param(a, d) for a, d in zip(positional, defaults, strict=True)]
        posonly, plain = made[:len(args.posonlyargs)], made[len(args.posonlyargs):]
        star_arg: Any = cst.MaybeSentinel.DEFAULT
        if args.vararg is not None:
            star_arg = self._param(args.vararg, star="*")
        elif args.kwonlyargs:
            star_arg = cst.ParamStar()
        return cst.Parameters(
            params=plain, star_arg=star_arg,
            kwonly_params=[self._param(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)],
            star_kwarg=self._param(args.kwarg, star="**") if args.kwarg is not None else None,
            posonly_params=posonly,
            posonly_ind=cst.ParamSlash() if posonly else cst.MaybeSentinel.DEFAULT,
        )

    # -- expressions ---------------------------------------------------------------------------

    def element(self, node: ast.expr) -> cst.BaseElement:
        if isinstance(node, ast.Starred):
            return cst.StarredElement(value=self.expr(node.value))
        return cst.Element(value=self.expr(node))

    def argument(self, node: ast.expr | ast.keyword) -> cst.Arg:
        if isinstance(node, ast.keyword):
            if node.arg is None:
                return cst.Arg(value=self.expr(node.value), star="**")
            return cst.Arg(value=self.expr(node.value), keyword=cst.Name(value=node.arg))
        if isinstance(node, ast.Starred):
            return cst.Arg(value=self.expr(node.value), star="*")
        return cst.Arg(value=self.expr(node))

    def comprehension(self, generators: list[ast.comprehension]) -> cst.CompFor:
        inner: cst.CompFor | None = None
        for generator in reversed(generators):
            inner = cst.CompFor(
                target=self.expr(generator.target), iter=self.expr(generator.iter),
                ifs=[cst.CompIf(test=self.expr(c)) for c in generator.ifs], inner_for_in=inner,
                asynchronous=self.asynchronous if generator.is_async else None,
            )
        assert inner is not None
        return inner

    def string(self, node: ast.Constant) -> cst.BaseExpression:
        source = self.segment(node)
        pieces = []
        position = 0
        while position < len(source):
            match = _STRING.match(source, position)
            if match is None:
                raise _Declined("a string literal not read")
            pieces.append(cst.SimpleString(value=match.group()))
            position = _BETWEEN.match(source, match.end()).end()  # type: ignore[union-attr]
        result: cst.BaseExpression = pieces[-1]
        for piece in reversed(pieces[:-1]):
            result = cst.ConcatenatedString(left=piece, right=result)  # type: ignore[arg-type]
        return result

    def subscript(self, node: ast.Subscript) -> cst.Subscript:
        index = node.slice
        # `x[a, b]` has two elements; `x[(a, b)]` one, a tuple
        split = isinstance(index, ast.Tuple) and index.elts and not self._parenthesized(index)
        parts = index.elts if split else [index]  # type: ignore[attr-defined]
        elements = []
        for part in parts:
            if isinstance(part, ast.Starred):
                raise _Declined("a starred subscript")
            if isinstance(part, ast.Slice):
                made: Any = cst.Slice(
                    lower=self.expr(part.lower) if part.lower is not None else None,
                    upper=self.expr(part.upper) if part.upper is not None else None,
                    step=self.expr(part.step) if part.step is not None else None,
                    second_colon=cst.Colon() if self._two_colons(part) else cst.MaybeSentinel.DEFAULT,
                )
            else:
                made = cst.Index(value=self.expr(part))
            elements.append(cst.SubscriptElement(slice=made))
        return cst.Subscript(value=self.expr(node.value), slice=elements)

    def _parenthesized(self, node: ast.Tuple) -> bool:
        """Whether a tuple is written in parentheses of its own (`x[(a, b)]`, not `x[(a), b]`):
        its first parenthesis closes where the tuple ends."""
        start, end = self._start(node), self._end(node)
        if not self.text.startswith("(", start):
            return False
        depth, position = 0, start
        while position < end:
            char = self.text[position]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth == 0:
                    return position == end - 1
            elif char == "#":
                position = self.text.find("\n", position)
                continue
            elif char in "'\"":
                match = _STRING.match(self.text, position)
                if match is None:
                    raise _Declined("a string literal not read")
                position = match.end()
                continue
            position += 1
        return False

    def _two_colons(self, part: ast.Slice) -> bool:
        """Whether a slice is written with its second colon (`x[1:2:]` has one, with no step)."""
        if part.step is not None:
            return True
        start = self._end(part.lower) if part.lower is not None else self._start(part)
        first = self.text.index(":", start)
        end = self._start(part.upper) if part.upper is not None else self._end(part)
        if ":" in self.text[first + 1:end]:
            return True
        return part.upper is not None and ":" in self.text[self._end(part.upper):self._end(part)]

    def expr(self, node: ast.expr) -> Any:  # one branch per node type, the commonest first
        kind = type(node)
        e = self.expr
        if kind is ast.Name:
            return cst.Name(value=node.id)  # type: ignore[attr-defined]
        if kind is ast.Attribute:
            return cst.Attribute(value=e(node.value), attr=cst.Name(value=node.attr))  # type: ignore[attr-defined]
        if kind is ast.Call:
            assert isinstance(node, ast.Call)
            arguments: list[ast.expr | ast.keyword] = [*node.args, *node.keywords]
            if node.keywords and node.args:  # `f(*a, key=1, *b)`: in the order written
                arguments.sort(key=lambda a: (a.lineno, a.col_offset))
            return cst.Call(func=e(node.func), args=[self.argument(a) for a in arguments])
        if kind is ast.Constant:
            assert isinstance(node, ast.Constant)
            value = node.value
            if isinstance(value, (str, bytes)):
                return self.string(node)
            if value is None or value is True or value is False:
                return cst.Name(value=str(value))
            if value is Ellipsis:
                return cst.Ellipsis()
            source = self.segment(node)
            lowered = source.lower()
            if lowered.endswith("j"):
                return cst.Imaginary(value=source)
            if not lowered.startswith(("0x", "0o", "0b")) and ("." in lowered or "e" in lowered):
                return cst.Float(value=source)
            return cst.Integer(value=source)
        if kind is ast.Subscript:
            return self.subscript(node)  # type: ignore[arg-type]
        if kind is ast.BinOp:
            assert isinstance(node, ast.BinOp)
            return cst.BinaryOperation(left=e(node.left), operator=_BINARY[type(node.op)](), right=e(node.right))
        if kind is ast.Compare:
            assert isinstance(node, ast.Compare)
            return cst.Comparison(left=e(node.left), comparisons=[
                cst.ComparisonTarget(operator=_COMPARE[type(op)](), comparator=e(c))
                for op, c in zip(node.ops, node.comparators, strict=True)
            ])
        if kind is ast.BoolOp:
            assert isinstance(node, ast.BoolOp)
            result = e(node.values[0])
            for operand in node.values[1:]:  # left to right, as libcst nests them
                result = cst.BooleanOperation(
                    left=result, operator=cst.And() if isinstance(node.op, ast.And) else cst.Or(), right=e(operand),
                )
            return result
        if kind is ast.UnaryOp:
            assert isinstance(node, ast.UnaryOp)
            return cst.UnaryOperation(operator=_UNARY[type(node.op)](), expression=e(node.operand))
        if kind is ast.Await:
            return cst.Await(expression=e(node.value))  # type: ignore[attr-defined]
        if kind is ast.Tuple:
            return cst.Tuple(elements=[self.element(x) for x in node.elts])  # type: ignore[attr-defined]
        if kind is ast.List:
            return cst.List(elements=[self.element(x) for x in node.elts])  # type: ignore[attr-defined]
        if kind is ast.Set:
            return cst.Set(elements=[self.element(x) for x in node.elts])  # type: ignore[attr-defined]
        if kind is ast.Dict:
            assert isinstance(node, ast.Dict)
            return cst.Dict(elements=[
                cst.DictElement(key=e(k), value=e(v)) if k is not None else cst.StarredDictElement(value=e(v))
                for k, v in zip(node.keys, node.values, strict=True)
            ])
        if kind is ast.JoinedStr:
            return self.delegated_expression(node)
        if kind is ast.IfExp:
            assert isinstance(node, ast.IfExp)
            return cst.IfExp(test=e(node.test), body=e(node.body), orelse=e(node.orelse))
        if kind is ast.Lambda:
            assert isinstance(node, ast.Lambda)
            return cst.Lambda(params=self.parameters(node.args), body=e(node.body))
        if kind is ast.ListComp:
            return cst.ListComp(elt=e(node.elt), for_in=self.comprehension(node.generators))  # type: ignore[attr-defined]
        if kind is ast.SetComp:
            return cst.SetComp(elt=e(node.elt), for_in=self.comprehension(node.generators))  # type: ignore[attr-defined]
        if kind is ast.GeneratorExp:
            return cst.GeneratorExp(elt=e(node.elt), for_in=self.comprehension(node.generators))  # type: ignore[attr-defined]
        if kind is ast.DictComp:
            assert isinstance(node, ast.DictComp)
            return cst.DictComp(key=e(node.key), value=e(node.value), for_in=self.comprehension(node.generators))
        if kind is ast.Yield:
            yielded = node.value  # type: ignore[attr-defined]
            return cst.Yield(value=e(yielded) if yielded is not None else None)
        if kind is ast.YieldFrom:
            return cst.Yield(value=cst.From(item=e(node.value)))  # type: ignore[attr-defined]
        if kind is ast.NamedExpr:
            return cst.NamedExpr(target=e(node.target), value=e(node.value))  # type: ignore[attr-defined]
        raise _Declined(kind.__name__)


def _dotted(name: str) -> cst.Name | cst.Attribute:
    first, *rest = name.split(".")
    result: cst.Name | cst.Attribute = cst.Name(value=first)
    for part in rest:
        result = cst.Attribute(value=result, attr=cst.Name(value=part))
    return result
