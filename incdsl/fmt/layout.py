"""The canonical layout of a spec, written from the parser's tokens.

- four spaces per level of indentation; continuation lines inside parentheses start under the
  first character after the open parenthesis, and a backslash continuation eight spaces in;
- one space between words; none inside parentheses, before `,` `:` `)` or around `=`; one
  around `->` and the operators of expressions; a stride's slash and a repeat's `x` touch what
  follows (`/2`, `x10`); an argument list in parentheses touches its name (`Block(k=1)`,
  `max(a, b)`), except after a line's own layer or block name, where the space as written
  is kept, as `conv (2*k) 3x3` reads differently from a call;
- trailing comments two spaces after the code; comments that the file aligns on one column in
  a run of lines stay aligned (on that column, or further right if the code now reaches it);
- at most one blank line in a row, none at the start or end of the file or right after a line
  that opens a body, and exactly one before a top-level line that opens a body (`block`,
  `network`) together with the comments directly above it.
"""

from __future__ import annotations

from lark import Token

from incdsl.fmt.lines import Blank, Break, Code, Comment, Row, levels, rows

INDENT = "    "
BACKSLASH_INDENT = 8
SPACED_OPERATORS = {"ADD_OP", "MUL_OP", "COMPARE", "POW"}


def layout(tokens: list[Token]) -> str:
    """The formatted file, from the tokens `parse_tokens` gives."""
    out = rows(tokens)
    levels(out)
    out = _blank_lines(out)
    written = [_row(row) for row in out]
    _align_comments(out, written)
    lines = [line for row_lines in written for line in row_lines]
    return "\n".join(lines) + "\n" if lines else ""


# ---- blank lines ---------------------------------------------------------------------------


def _blank_lines(out: list[Row]) -> list[Row]:
    result: list[Row] = []
    last_code: Code | None = None
    for row in out:
        if isinstance(row, Blank):
            if result and not isinstance(result[-1], Blank) and not _opens(result[-1]):
                result.append(row)
            continue
        if isinstance(row, Code):
            if row.level == 0 and last_code is not None and \
                    (row.opens_body() or last_code.level > 0):
                _one_blank_above(result)
            last_code = row
        result.append(row)
    while result and isinstance(result[-1], Blank):
        result.pop()
    return result


def _opens(row: Row) -> bool:
    return isinstance(row, Code) and row.opens_body()


def _one_blank_above(result: list[Row]) -> None:
    """One blank line above the comments that lead into the next line."""
    at = len(result)
    while at > 0 and isinstance(result[at - 1], Comment) and result[at - 1].level == 0:
        at -= 1
    if at == 0:
        return
    if not isinstance(result[at - 1], Blank):
        result.insert(at, Blank())


# ---- one row -------------------------------------------------------------------------------


def _row(row: Row) -> list[str]:
    if isinstance(row, Blank):
        return [""]
    if isinstance(row, Comment):
        return [INDENT * row.level + row.text]
    return _code(row)


def _code(row: Code) -> list[str]:
    lines = [INDENT * row.level]
    opens: list[int] = []  # output columns just after each open parenthesis
    previous: Token | None = None
    head, head_before = True, False  # the next name is a line's own layer or block (the first, or after `->`)
    is_if = row.tokens[0].value == "if"  # `if` takes an expression outside parentheses
    for item in row.items:
        if isinstance(item, Break):
            if item.trailing:
                lines[-1] += "  " + item.trailing
            continuation = opens[-1] if opens else len(INDENT * row.level) + BACKSLASH_INDENT
            if item.backslash:
                lines[-1] += " \\"
            lines += [" " * continuation + c for c in item.comments]
            lines.append(" " * continuation)
            previous = None
            continue
        if previous is not None:
            lines[-1] += _space(previous, item, bool(opens), is_if, head_before)
        lines[-1] += item.value
        head_before = head and item.type == "NAME"
        head = item.value == "->" and not opens
        if item.value == "(":
            opens.append(len(lines[-1]))
        elif item.value == ")":
            opens.pop()
        previous = item
    lines[-1] = lines[-1].rstrip()
    return lines


def _space(prev: Token, tok: Token, nested: bool, is_if: bool, after_head: bool) -> str:
    """The space between two tokens of a line."""
    if tok.value in (")", ",", ":") or prev.value == "(":
        return ""
    if "=" in (prev.value, tok.value) or prev.type in ("REPEAT", "MINUS"):
        return ""
    if prev.type == "SLASH" and not nested and not is_if:
        return ""  # a stride: `/2`
    if tok.value == "(" and prev.type == "NAME":
        if not after_head:
            return ""  # a call: `max(a, b)`, `block A(k)`
        return " " if tok.start_pos > prev.end_pos else ""  # as written
    if tok.value == "(" and prev.type == "SLASH" and not nested and not is_if:
        return ""
    return " "


# ---- trailing comments ---------------------------------------------------------------------


def _align_comments(out: list[Row], written: list[list[str]]) -> None:
    """Put each code line's trailing comment after it: two spaces after the code, or on the
    column a run of lines shares (runs are broken by blank lines, own-line comments and
    comments written on another column)."""
    runs: list[list[int]] = []
    column = None
    for index, row in enumerate(out):
        if not isinstance(row, Code):
            column = None
            continue
        if row.trailing is None:
            continue
        if column == row.trailing_column and runs:
            runs[-1].append(index)
        else:
            runs.append([index])
            column = row.trailing_column
    for run in runs:
        ends = [len(written[i][-1]) + 2 for i in run]
        at = max([out[run[0]].trailing_column, *ends]) if len(run) > 1 else ends[0]
        for i in run:
            written[i][-1] = written[i][-1].ljust(at) + out[i].trailing
