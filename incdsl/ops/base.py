"""What an op is, and the registry of them.

An `Op` is one kind of graph node (a layer such as `conv`, or a merge such as `concat`), and
everything incdsl knows about it: the words a spec line takes (`signature`), how the line's
values become typed attributes and which values are refused (`make`), its shape, parameter and
multiply-accumulate rule (`infer`), its PyTorch module and initialisation (`module`, `init`),
the text of its forward call and of its constructor in generated code (`forward`, `code`), and
how figures and summaries name it (`label`, `style`, `describe`).

A `Statement` is a line with an indented body (`concat:`, `residual:`, `aux NAME:`): it walks
its body through the elaborator (`Here`) and makes nodes of ops.

Stages ask the registry (`OPS`, `STATEMENTS`); none switches on op names. torch is imported only
inside `module` and `init`, so parsing, checking and code generation never load it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from incdsl.ir.expr import Expr
from incdsl.ir.graph import Shape
from incdsl.ops.args import Args, Value


class ShapeError(Exception):
    """A shape rule refused its inputs; the elaborator adds the location."""

    def __init__(self, message: str, *notes: str):
        super().__init__(message)
        self.message, self.notes = message, notes


@dataclass(frozen=True)
class Signature:
    """The words one line of an op takes: `conv OUT KERNEL [/S] [valid|same] [no bn] ...`."""

    positional: tuple[str, ...] = ()  # slots filled in order by bare values
    keywords: tuple[str, ...] = ()  # slots set only by `name=value` (and `stride` by `/S`)
    flags: dict[str, bool] = field(default_factory=dict)  # `bias`, `no bias`, `bias=false`
    words: dict[str, tuple[str, Value]] = field(default_factory=dict)  # `valid` -> padding
    defaults: dict[str, Value] = field(default_factory=dict)  # of the slots
    required: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # slots whose bare name is a name, not an expression
    wants: dict[str, str] = field(default_factory=dict)  # slot -> "a kernel size like 3x3"

    @property
    def slots(self) -> tuple[str, ...]:
        return self.positional + self.keywords

    @property
    def options(self) -> tuple[str, ...]:
        """The bare words a line may carry: flags and words."""
        return (*self.flags, *self.words)

    def usage(self, name: str) -> str:
        parts = [name, *(p.upper() for p in self.positional)]
        parts += [f"[{'|'.join(self.words)}]"] if self.words else []
        parts += ["[/S]" if k == "stride" else f"[{k}=...]" for k in self.keywords]
        parts += [f"[no {f}]" if on else f"[{f}]" for f, on in self.flags.items()]
        return " ".join(parts)

    def want(self, slot: str) -> str:
        return self.wants.get(slot, f"'{slot}'")


@dataclass(frozen=True)
class Context:
    """What every op's `make` may read besides its arguments: the network's width multiplier."""

    width: float = 1.0
    min_depth: int = 16

    def scaled(self, channels: int, expr: Expr | None) -> tuple[int, Expr | None]:
        """TF-Slim's depth multiplier: `max(int(c * width), min_depth)`. A width read from the
        trunk is the trunk's and stays; a scaled width no longer equals its expression."""
        if self.width == 1 or (expr is not None and expr.reads_channels()):
            return channels, expr
        return max(int(channels * self.width), self.min_depth), None


@dataclass(frozen=True)
class Style:
    """How figures draw an op's boxes: fill and line colours, and any other graphviz node
    attributes (`shape="circle"`)."""

    fill: str
    line: str
    extra: tuple[tuple[str, str], ...] = ()

    def attrs(self) -> dict[str, str]:
        return {"fillcolor": self.fill, "color": self.line, **dict(self.extra)}


# The palette: convolutions, pools, merges and heads are told apart at a glance.
CONV = Style("#fff2cc", "#b58900")
POOL = Style("#dae8fc", "#3a6ea5")
HEAD = Style("#f8cecc", "#a33a36")  # what leads to the classifier: global pools, dropout, linear
MERGE = Style("#d5e8d4", "#3d7a3a")
# an element-wise merge (the residual sum, the gate's product): a small circle holding its sign
MERGE_SIGN = Style(MERGE.fill, MERGE.line, (("shape", "circle"), ("fixedsize", "false"),
                                            ("margin", "0.02")))
PLAIN = Style("#ffffff", "#666666")  # activations


@dataclass(frozen=True)
class Helper:
    """A module class that an op's modules are made of (`ConvBN`): its source is written into
    generated files and run by `incdsl.build()`, so both use the very same class."""

    name: str
    source: str


@dataclass(frozen=True)
class Statements:
    """A forward that needs more than one expression: lines of Python in which `{out}` is the
    name of the op's result, e.g. a ReLU applied when a constructor argument says so."""

    lines: tuple[str, ...]


def with_relu(expr: str, relu: str) -> str | Statements:
    """A forward expression through a ReLU when `relu` says so: `relu` is the text of a flag,
    "True" or "False" for a number, or a constructor argument (`self.relu`) to test at run
    time."""
    if relu == "False":
        return expr
    if relu == "True":
        return f"F.relu({expr}, inplace=True)"
    return Statements((f"{{out}} = {expr}", f"if {relu}:", "    {out} = F.relu({out}, inplace=True)"))


class AttrText(Protocol):
    """Attribute name -> its Python text: a literal, a constructor argument or `self.scale`."""

    def __call__(self, attr: str) -> str: ...


class Op:
    """A kind of graph node. Subclasses set the class attributes and override what applies."""

    name: ClassVar[str]  # the word in specs and the node's `op` in the graph
    kind: ClassVar[str]  # the stem of automatic names: conv1, pool2, fc
    doc: ClassVar[str] = ""  # one line for the language reference and editors
    example: ClassVar[str] = ""  # a line using it, for docs and tests (after input 3x16x16)
    signature: ClassVar[Signature] = Signature()
    style: ClassVar[Style] = PLAIN  # its boxes in figures
    helpers: ClassVar[tuple[Helper, ...]] = ()
    has_module: ClassVar[bool] = True  # owns a submodule (else a function in forward)
    takes_input: ClassVar[bool] = True  # False only for `input`
    is_layer: ClassVar[bool] = True  # a spec line can make it (not `concat`, `add`: statements do)
    forward_attrs: ClassVar[tuple[str, ...]] = ()  # attributes forward reads, not __init__
    # What the optimising passes (incdsl.passes) may assume of an op, instead of its name:
    convolution: ClassVar[bool] = False  # a conv (-> BatchNorm) (-> ReLU) with ConvAttrs
    linear: ClassVar[bool] = False  # a linear map of its input (an average pool)
    per_channel: ClassVar[bool] = False  # each output channel reads only its own input channel
    eval_identity: ClassVar[bool] = False  # passes its input on unchanged in eval (dropout)
    scaled_sum: ClassVar[bool] = False  # inputs[0] + scale * inputs[1] (the residual add)
    view: ClassVar[bool] = False  # a view of its input, no copy (a channel slice)
    channel_concat: ClassVar[bool] = False  # joins its inputs along channels, in order
    classifier: ClassVar[bool] = False  # its width follows the class count (a linear layer)
    inplace_variant: ClassVar[str | None] = None  # the op that does the same work in place

    # ---- from a spec line -------------------------------------------------------------------

    def make(self, args: Args, inputs: list[Shape], cx: Context) -> tuple[Any, dict[str, Expr]]:
        """Typed attributes from the line's values, and the expressions behind them; raises a
        located SpecError for a value the op refuses."""
        return None, {}

    def infer(self, attrs, inputs: list[Shape]) -> tuple[Shape, int, int]:
        """(output shape, parameters, multiply-accumulates per image); ShapeError if refused."""
        return inputs[0], 0, 0

    # ---- PyTorch ---------------------------------------------------------------------------

    def module(self, attrs):
        """The torch.nn.Module of a node (ops with `has_module`)."""
        raise NotImplementedError(self.name)

    def init(self, module, attrs, generator) -> None:
        """Initialise a fresh module's parameters; `generator` is a torch.Generator or None."""

    def forward(self, attrs, inputs: list[str], call: str | None,
                value: AttrText) -> str | Statements:
        """The Python expression computing the node from its inputs' names. `call` is the
        node's submodule (`self.branch1.conv2`); `value(attr)` gives the text of a forward
        attribute (a number, or `self.scale` in generated code)."""
        return f"{call}({inputs[0]})"

    def code(self, attrs, in_channels: str, value: AttrText) -> tuple[str, list[str]]:
        """The constructor in generated code: (`ConvBN`, [`in_channels`, `64`, `1`])."""
        raise NotImplementedError(self.name)

    def channels(self, attrs, inputs: list[str], value: AttrText, shape: Shape) -> str:
        """Python text for the output's channel count in generated code, from its inputs'."""
        return inputs[0] if inputs else str(shape[0])

    # ---- figures and summaries -------------------------------------------------------------

    def label(self, attrs) -> str:
        """The box text in figures, in the papers' words."""
        return self.name.capitalize()

    def describe(self, attrs) -> str:
        """The op column of `incdsl summary`."""
        return self.name

    def activation(self, attrs) -> str | None:
        """An activation the node applies after its own work, which figures draw as a box of
        its own (the papers draw the ReLU after a residual add): its label, or None."""
        return None


class Here(Protocol):
    """What a statement may ask of the elaborator while it walks its body."""

    def run(self, body, cur: str) -> str: ...
    def shape(self, node: str) -> Shape: ...


class Statement:
    """A line with an indented body (`concat:`, `residual:`, `aux NAME:`)."""

    name: ClassVar[str]
    doc: ClassVar[str] = ""
    signature: ClassVar[Signature] = Signature()
    body_names: ClassVar[tuple[str, ...]] = ()  # names its body may read (`trunk`)
    parent: ClassVar[str | None] = None  # the statement it must stand directly inside

    def check(self, stmt, report) -> None:
        """Static checks of the statement's body; `report(SpecError)` records one."""

    def count(self, stmt, counts, count_body) -> None:
        """Add the automatic names the statement makes in its scope to `counts` (a Counter);
        `count_body(stmts)` counts a body that is named in this scope."""

    def elaborate(self, stmt, args: Args, cur: str, here) -> str:
        """Walk the body from the tensor `cur`; return the tensor that comes out."""
        raise NotImplementedError(self.name)


OPS: dict[str, Op] = {}
STATEMENTS: dict[str, Statement] = {}


def register(cls):
    """Class decorator: one instance of each op or statement, by name. A spec word is a layer
    or a statement, never both."""
    table = OPS if issubclass(cls, Op) else STATEMENTS
    assert cls.name not in table, cls.name
    table[cls.name] = cls()
    assert not (set(layers()) & set(STATEMENTS)), cls.name
    return cls


def layers() -> dict[str, Op]:
    """The ops a spec line names: `conv`, `maxpool`, ... (not the merges statements make)."""
    return {name: op for name, op in OPS.items() if op.is_layer}


def all_options() -> set[str]:
    """Every flag and word of any op or statement: `maxpool 3x3 bias` is then an option of
    another layer, not an unknown name."""
    return {o for d in [*OPS.values(), *STATEMENTS.values()] for o in d.signature.options}
