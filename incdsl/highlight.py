"""A Pygments lexer for specs (`pygmentize -l incdsl irv2.inc`), registered as the entry point
`pygments.lexers: incdsl`.

Its words come from where the language defines them: the grammar's keywords from the grammar,
layers, statements and options from the op registry, constants and functions from the
evaluator, so a new op is highlighted without a change here.
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from incdsl.elaborate.expr import CONSTANTS, FUNCTIONS
from incdsl.elaborate.naming import DEFAULTS
from incdsl.ops import OPS, STATEMENTS, layers
from incdsl.syntax.parser import grammar


def grammar_keywords() -> list[str]:
    """The grammar's own words: `use`, `block`, `network`, `as`, `if`, `else`, `no`, ..."""
    return sorted(t.pattern.value for t in grammar().terminals
                  if t.pattern.type == "str" and t.pattern.value.isalpha())


def option_words() -> list[str]:
    """Every flag, word and keyword slot a layer or statement line may carry."""
    found = set()
    for entry in [*OPS.values(), *STATEMENTS.values()]:
        found |= {*entry.signature.options, *entry.signature.keywords}
    return sorted(found)


def _words(names) -> str:
    return words(sorted(names, key=len, reverse=True), prefix=r"(?<![\w.])", suffix=r"\b")


class IncdslLexer(RegexLexer):
    name = "incdsl"
    aliases: ClassVar[list[str]] = ["incdsl"]
    filenames: ClassVar[list[str]] = ["*.inc"]
    mimetypes: ClassVar[list[str]] = ["text/x-incdsl"]

    tokens: ClassVar[dict] = {
        "root": [
            (r"[ \t]+", Whitespace),
            (r"\n", Whitespace),
            (r"\\\n", Text),  # a backslash joins lines
            (r"#.*$", Comment.Single),
            (r'"[^"\n]*"', String.Double),
            (r"(block|network)(\s+)([A-Za-z_]\w*)", bygroups(Keyword.Declaration, Whitespace,
                                                           Name.Class)),
            (r"[0-9]+(x[0-9]+)+(?![A-Za-z_0-9])", Number),  # 3x3, 3x299x299
            (r"(?<![\w)])x(?=[0-9(])", Operator.Word),  # the repeat marker of `x10`
            (r"([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", Number.Float),
            (r"[0-9]+[eE][-+]?[0-9]+", Number.Float),
            (r"[0-9]+", Number.Integer),
            (r"->", Operator),
            (r"\*\*|//|==|!=|<=|>=|[-+*/%<>=]", Operator),
            (r"[(),:]", Punctuation),
            (r"\.\.\.", Punctuation),  # the docs' "and so on" between lines
            (_words(grammar_keywords()), Keyword),
            (_words([DEFAULTS]), Keyword),
            (_words(STATEMENTS), Keyword.Reserved),
            (_words(layers()), Name.Builtin),
            (_words(CONSTANTS), Keyword.Constant),
            (words(sorted(FUNCTIONS), prefix=r"(?<![\w.])", suffix=r"(?=\()"), Name.Function),
            (_words(option_words()), Name.Attribute),
            (r"[A-Za-z_]\w*", Name),
        ],
    }
