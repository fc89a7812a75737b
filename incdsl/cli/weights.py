"""`incdsl weights import SPEC --from SOURCE -o FILE.pt`: a reference's weights as a
state_dict for the network the spec builds, matched by structure with a shape check at every
tensor (see incdsl.weights)."""

from __future__ import annotations

import sys

from incdsl.cli import add_spec_arguments, load_graph
from incdsl.fileio import write_atomically


def add_parser(sub) -> None:
    p = sub.add_parser("weights", help="import weights from timm / torchvision / facenet-pytorch",
                       description="Work with weights for a spec's network.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    imp = actions.add_parser(
        "import", help="convert a reference model's weights to this spec's state_dict keys",
        description="Copy the weights of a reference implementation into the network the spec "
        "builds, tensor by tensor in order, checking every shape, and save its state_dict. "
        "A mismatch names the first tensor that does not fit and writes nothing.")
    add_spec_arguments(imp)
    imp.add_argument("--from", dest="source", required=True, metavar="SOURCE",
                     help="timm:NAME, torchvision:NAME, facenet:InceptionResnetV1, or a "
                     "checkpoint file (.pt/.pth, loaded with weights_only=True)")
    imp.add_argument("--pretrained", action="store_true",
                     help="download the reference's pretrained weights (needs the internet); "
                     "without it a reference model has random weights")
    imp.add_argument("--skip", action="append", default=[], metavar="MODULE",
                     help="leave our tensors under this module path out (e.g. fc)")
    imp.add_argument("--skip-reference", action="append", default=[], metavar="MODULE",
                     help="leave the reference's tensors under this module path out")
    imp.add_argument("-o", "--output", required=True, metavar="FILE.pt")
    imp.set_defaults(run=run_import)
    p.set_defaults(run=run_import)


def run_import(args) -> int:
    import torch

    from incdsl.nn import build_module
    from incdsl.weights import import_weights
    from incdsl.weights.sources import LIBRARIES, reference_model

    g = load_graph(args)
    source = args.source
    if source.split(":", 1)[0] in LIBRARIES:
        source = reference_model(source, pretrained=args.pretrained)
    model = build_module(g, seed=0)
    left = import_weights(model, source, skip=args.skip, skip_reference=args.skip_reference)
    state = model.state_dict()
    write_atomically(args.output, lambda tmp: torch.save(state, tmp))
    loaded = len(state) - len(left)
    print(f"wrote {args.output}: {loaded} tensors from {args.source}", file=sys.stderr)
    if left:
        print(f"not loaded (left as initialised): {', '.join(left)}", file=sys.stderr)
    if args.pretrained and args.source == "torchvision:inception_v3":
        print("note: torchvision's pretrained inception_v3 rescales ImageNet-normalised input "
              "to [-1, 1] itself (transform_input); this network does not, so give it input "
              "in [-1, 1]", file=sys.stderr)
    return 0
