"""`aux NAME:` an auxiliary head: its body runs from the current tensor to an extra output
NAME (returned in training mode, like torchvision's `aux_logits`); the main path goes on from
the same tensor."""

from __future__ import annotations

from incdsl.errors import SpecError
from incdsl.ops.base import Signature, Statement, register


@register
class Aux(Statement):
    name = "aux"
    doc = "an auxiliary head: its body runs to an extra output NAME"
    signature = Signature(positional=("name",), required=("name",), names=("name",),
                          wants={"name": "a name"})

    def count(self, stmt, counts, count_body):
        counts[stmt.alias or "aux"] += 1

    def elaborate(self, stmt, args, cur, here):
        head = args["name"]
        if not isinstance(head, str) or not head.isidentifier():
            raise SpecError.at(args.loc("name"), "aux needs a name, like `aux aux_logits:`")
        if head == "logits" or here.has_output(head):
            raise SpecError.at(args.loc("name"), f"there is already an output '{head}'")
        head_scope = here.child("aux", stmt.alias or head, stmt.loc, stmt.body)
        switch = here.switch()
        note = f"in the auxiliary head '{head}'" + (
            f"; `--set {switch}=false` leaves it out" if switch else "")
        here.output(head, head_scope.run(stmt.body, cur, note=note))
        return cur
