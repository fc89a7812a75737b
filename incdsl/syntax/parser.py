"""Text -> syntax tree, with Lark's LALR parser and positioned, readable syntax errors."""

from __future__ import annotations

import re
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from lark.indenter import Indenter

from incdsl import resources
from incdsl.errors import Location, Source, SpecError
from incdsl.syntax import ast
from incdsl.syntax.limits import check_limits

# Terminals without a fixed spelling, as a reader would name them.
_FRIENDLY = {
    "NAME": "a name",
    "NUMBER": "a number",
    "DIMS": "a size like 3x3",
    "STRING": 'a string in "quotes"',
    "REPEAT": "a repeat count like x4",
    "COMPARE": "a comparison",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '//' or '%'",
    "SLASH": "'/'",
    "POW": "'**'",
    "_NL": "the end of the line",
    "_INDENT": "an indented body",
    "_DEDENT": "the end of the indented body",
    "$END": "the end of the file",
}


class _Indenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ("LPAR",)
    CLOSE_PAREN_types = ("RPAR",)
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def handle_NL(self, token):
        # Lark's own DedentError carries no position; say where the bad indentation is.
        indent = token.rsplit("\n", 1)[1]
        level = indent.count(" ") + indent.count("\t") * self.tab_len
        if self.paren_level == 0 and level < self.indent_level[-1] and level not in self.indent_level:
            raise _BadDedent(token, level, self.indent_level)
        yield from super().handle_NL(token)


class _BadDedent(Exception):
    def __init__(self, token, level, levels):
        self.token, self.level, self.levels = token, level, list(levels)


def _lark(postlex: _Indenter) -> Lark:
    return Lark(
        resources.grammar_file().read_text(),
        parser="lalr",
        postlex=postlex,
        propagate_positions=True,
        maybe_placeholders=True,
        start=["start", "expr"],
    )


@lru_cache(maxsize=1)
def grammar() -> Lark:
    """The compiled grammar: made once per process (tens of milliseconds), then shared."""
    return _lark(_Indenter())


class _Recorder(_Indenter):
    """The same post-lexer, keeping every token the lexer made: the newline tokens (which hold
    the comments) inside parentheses too, which the indenter drops."""

    def process(self, stream):
        self.seen = []

        def record(tokens):
            for token in tokens:
                self.seen.append(token)
                yield token

        return super().process(record(stream))


@lru_cache(maxsize=1)
def _recording() -> tuple[Lark, _Recorder]:
    recorder = _Recorder()
    return _lark(recorder), recorder


def parse(text: str, path: str = "<string>") -> ast.Module:
    """Parse one file. Raises SpecError with the first syntax error of each top-level
    definition that has one."""
    source = Source(path, text)
    check_limits(source)
    try:
        return _to_ast(_tree(grammar(), text, source), source)
    except SpecError as first:
        raise SpecError(_errors_by_definition(text, source) or first.diagnostics) from None


def parse_tokens(text: str, path: str = "<string>") -> tuple[ast.Module, list[Token]]:
    """Parse one file, and return with its tree every token the lexer read, in order: those
    the parser sees and the newline tokens it skips inside parentheses. Comments are inside
    the newline tokens (`_NL`), as the grammar defines them; spaces are not tokens."""
    lark, recorder = _recording()
    source = Source(path, text)
    check_limits(source)
    tree = _tree(lark, text, source)
    return _to_ast(tree, source), list(recorder.seen)


def _tree(lark: Lark, text: str, source: Source):
    if not text.endswith("\n"):
        text += "\n"  # the grammar ends every statement with a newline
    try:
        return lark.parse(text, start="start")
    except _BadDedent as e:
        line = e.token.end_line
        raise SpecError.at(
            Location(source, line, e.level + 1),
            "this line's indentation matches no enclosing block",
            f"indentation levels open here: {', '.join(str(n) for n in e.levels)} columns",
        ) from None
    except UnexpectedInput as e:
        raise _syntax_error(e, source, text) from None


_TOP_LEVEL = re.compile(r"^(use|block|network)\b", re.MULTILINE)


def _errors_by_definition(text: str, source: Source) -> list:
    """The first error of each top-level definition (and `use` line): LALR stops at the first
    error, so each is parsed again on its own, at its own line numbers."""
    starts = [m.start() for m in _TOP_LEVEL.finditer(text)] or [0]
    starts[0] = 0
    found = []
    for begin, end in zip(starts, [*starts[1:], len(text)]):
        lines_before = text.count("\n", 0, begin)
        try:
            _to_ast(_tree(grammar(), "\n" * lines_before + text[begin:end], source), source)
        except SpecError as e:
            found += e.diagnostics
    return found


def parse_expression(text: str, what: str = "<expression>") -> ast.Expr:
    """Parse a lone expression, as given to `--set name=value`."""
    source = Source(what, text)
    try:
        tree = grammar().parse(text, start="expr")
    except _BadDedent:
        raise SpecError.at(Location(source, 1, 1), "expected a value, not several lines") from None
    except UnexpectedInput as e:
        raise _syntax_error(e, source) from None
    return _to_ast(tree, source)


def _to_ast(tree, source: Source):
    try:
        return _ToAst(source).transform(tree)
    except VisitError as e:  # Lark wraps what a transformer raises
        if isinstance(e.orig_exc, SpecError):
            raise e.orig_exc from None
        raise


def _describe(terminal: str) -> str:
    if terminal in _FRIENDLY:
        return _FRIENDLY[terminal]
    try:
        pattern = grammar().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return f"'{pattern.value}'" if pattern.type == "str" else terminal.lower()


def _expected(names) -> str:
    described = sorted({_describe(n) for n in names})
    if len(described) > 8:
        described = described[:8] + ["..."]
    return ", ".join(described)


def _syntax_error(e: UnexpectedInput, source: Source, text: str | None = None) -> SpecError:
    """`text`: what was parsed, when not the whole source (a definition parsed again)."""
    if isinstance(e, UnexpectedCharacters):
        text = source.text if text is None else text
        char = text[e.pos_in_stream] if e.pos_in_stream < len(text) else "?"
        loc = Location(source, e.line, e.column, e.column + 1)
        if char == "\t":
            return SpecError.at(loc, "unexpected tab inside a line")
        return SpecError.at(loc, f"unexpected character {char!r}",
                            f"expected {_expected(e.allowed)}" if e.allowed else "")
    if isinstance(e, UnexpectedEOF) or (
        isinstance(e, UnexpectedToken) and e.token.type == "$END"
    ):
        lines = source.text.splitlines() or [""]
        loc = Location(source, len(lines), len(lines[-1]) + 1)
        return SpecError.at(loc, "unexpected end of file", f"expected {_expected(e.expected)}")
    assert isinstance(e, UnexpectedToken)
    tok: Token = e.token
    expected = e.accepts or e.expected
    if "_INDENT" in expected and tok.type != "_INDENT":
        loc = Location(source, tok.line, tok.column)
        return SpecError.at(loc, "expected an indented body after ':'")
    if tok.type in ("_NL", "_DEDENT", "_INDENT"):
        # Newline tokens start at the end of the line that was cut short.
        if tok.type == "_INDENT":
            line = tok.end_line
            loc = Location(source, line, len(tok.value.rsplit("\n", 1)[-1]) + 1)
            return SpecError.at(loc, "unexpected indentation",
                                "only a line ending in ':' opens an indented body")
        loc = Location(source, tok.line, tok.column)
        what = "the line ends too early" if tok.type == "_NL" else "the body ends too early"
        return SpecError.at(loc, what, f"expected {_expected(expected)}")
    loc = Location(source, tok.line, tok.column, tok.end_column)
    notes = [f"expected {_expected(expected)}"]
    marker = re.search(r"(?<![A-Za-z_0-9])x([0-9]+)\s*$", source.line(tok.line)[: tok.column - 1])
    if marker:  # `conv x2 3x3`: a name that looks like a repeat count
        n = marker.group(1)
        notes.append(f"'x{n}' reads as a repeat count ({n} times), which ends the line; write "
                     f"'(x{n})' for a name")
    return SpecError.at(loc, f"unexpected {_describe_token(tok)}", *notes)


def _describe_token(tok: Token) -> str:
    if tok.type in ("NAME", "NUMBER", "DIMS", "STRING"):
        return f"{_FRIENDLY[tok.type].split(' ', 1)[1] if tok.type != 'NAME' else 'name'} {tok.value!r}"
    return repr(str(tok.value))


def _check_spaced(stride: ast.Stride, name: Location) -> None:
    """`conv k/2 3x3` is `k` channels with stride 2 to the parser, which is rarely what the
    writer meant: a stride takes a space before its slash, a division parentheses."""
    loc = stride.loc
    line = loc.source.line(loc.line)
    slash = loc.column - 1  # 0-based
    start, depth = slash, 0  # back to the start of what the slash is glued to
    while start > 0 and (depth or not line[start - 1].isspace()):
        depth += {")": 1, "(": -1}.get(line[start - 1], 0)
        start -= 1
    if start == slash:
        return
    end = (loc.end_column or len(line) + 1) - 1
    written, value, step = line[start:end], line[start:slash], line[slash + 1 : end].strip()
    spaced = f"'{value} /{step}' for a stride"
    note = f"write {spaced}" if loc.line == name.line and start + 1 == name.column else \
        f"write '({written})' for a division, or {spaced}"
    raise SpecError.at(Location(loc.source, loc.line, start + 1, end + 1),
                       f"'{written}' reads as '{value}' with stride {step}", note)


# ---- parse tree -> syntax tree -------------------------------------------------------------


@v_args(meta=True)
class _ToAst(Transformer):
    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    def _loc(self, meta_or_token) -> Location:
        m = meta_or_token
        end = m.end_column if getattr(m, "end_line", None) == m.line else None
        return Location(self.source, m.line, m.column, end)

    # file and definitions
    def start(self, meta, items):
        uses = tuple(i for i in items if isinstance(i, ast.Use))
        defs = tuple(i for i in items if isinstance(i, ast.Definition))
        return ast.Module(self.source.path, uses, defs)

    def use(self, meta, items):
        (string,) = items
        return ast.Use(string.value[1:-1], self._loc(meta))  # no escapes in the grammar

    def _definition(self, kind, meta, items):
        name, params, body = items
        return ast.Definition(kind, str(name), tuple(params or ()), body,
                              self._loc(meta), self._loc(name))

    def block(self, meta, items):
        return self._definition("block", meta, items)

    def network(self, meta, items):
        return self._definition("network", meta, items)

    def params(self, meta, items):
        return tuple(i for i in items if i is not None)

    def param(self, meta, items):
        name, default = items
        return ast.Param(str(name), default, self._loc(name))

    def body(self, meta, items):
        return tuple(items)

    # statements
    def chain(self, meta, layers):
        if len(layers) == 1:
            return layers[0]
        return ast.Chain(self._loc(meta), tuple(layers))

    def layer(self, meta, items):
        (name, name_loc, args), repeat, alias = items
        expr, repeat_loc = repeat or (None, None)
        return ast.Layer(self._loc(meta), name, name_loc, args, expr, alias, repeat_loc)

    def repeat(self, meta, items):
        return items[1], self._loc(meta)

    def alias(self, meta, items):
        return str(items[0])

    def compound(self, meta, items):
        (name, name_loc, args), alias, body = items
        return ast.Compound(self._loc(meta), name, name_loc, args, body, alias)

    def if_stmt(self, meta, items):
        cond, then, orelse = items
        return ast.If(self._loc(meta), cond, then, orelse or ())

    def head(self, meta, items):
        name, call, *args = items
        name_loc = self._loc(name)
        for arg in args:
            if isinstance(arg, ast.Stride):
                _check_spaced(arg, name_loc)
        return str(name), name_loc, tuple(call or ()) + tuple(args)

    def call(self, meta, items):
        return tuple(i for i in items if i is not None)

    # arguments
    def positional(self, meta, items):
        return ast.Positional(self._loc(meta), items[0])

    def keyword(self, meta, items):
        name, value = items
        return ast.Keyword(self._loc(meta), str(name), value)

    def stride(self, meta, items):
        return ast.Stride(self._loc(meta), items[-1])

    def negated(self, meta, items):
        return ast.Negated(self._loc(meta), str(items[0]))

    # expressions
    def number(self, meta, items):
        text = str(items[0])
        value = float(text) if any(c in text for c in ".eE") else int(text)
        return ast.Number(self._loc(meta), value)

    def dims(self, meta, items):
        return ast.Dims(self._loc(meta), tuple(int(p) for p in str(items[0]).split("x")))

    def string(self, meta, items):
        return ast.String(self._loc(meta), items[0].value[1:-1])

    def name(self, meta, items):
        return ast.Name(self._loc(meta), str(items[0]))

    def func(self, meta, items):
        name, *args = items
        return ast.Call(self._loc(meta), str(name), tuple(a for a in args if a is not None))

    def tuple(self, meta, items):
        return ast.Tuple(self._loc(meta), tuple(i for i in items if i is not None))

    def binop(self, meta, items):
        left, op, right = items
        return ast.Binary(self._loc(meta), str(op), left, right)

    def compare(self, meta, items):
        return self.binop(meta, items)

    def power(self, meta, items):
        left, _, right = items
        return ast.Binary(self._loc(meta), "**", left, right)

    def or_op(self, meta, items):
        return ast.Binary(self._loc(meta), "or", items[0], items[1])

    def and_op(self, meta, items):
        return ast.Binary(self._loc(meta), "and", items[0], items[1])

    def not_op(self, meta, items):
        return ast.Unary(self._loc(meta), "not", items[0])

    def neg(self, meta, items):
        return ast.Unary(self._loc(meta), "-", items[0])
