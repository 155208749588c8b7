"""``segreview export-onnx CKPT OUT.onnx``: a checkpoint as an ONNX graph (dynamic batch and slice size) with its
config embedded, loadable by ``segreview predict --model OUT.onnx`` where onnxruntime is installed."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export-onnx",
        help="export a checkpoint to ONNX with its config embedded",
        description=(
            "Write the network of a napari-segreview checkpoint (.pt) as ONNX: dynamic batch, rows and columns "
            "(the inference engine pads slices to a multiple of 2**depth), the model config embedded as the "
            "metadata entry segreview_config. Needs the onnx package."
        ),
    )
    parser.add_argument("checkpoint", type=Path, metavar="CKPT", help="napari-segreview checkpoint (.pt)")
    parser.add_argument("out", type=Path, metavar="OUT.onnx", help="ONNX file to write")
    parser.add_argument("--force", action="store_true", help="replace OUT.onnx if it exists")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() != ".onnx":
        raise UsageError(f"the output must end in .onnx, not {args.out.name}.")
    if args.out.exists() and not args.force:
        raise UsageError(f"{args.out} already exists; use --force to replace it.")
    if not args.checkpoint.is_file():
        raise UsageError(
            f"{args.checkpoint} does not exist." if not args.checkpoint.exists() else f"{args.checkpoint} is a folder."
        )
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise UsageError("exporting to ONNX needs the onnx package (pip install onnx).") from None
    from ..model import CheckpointError
    from ..training.export import export_onnx

    try:
        path = export_onnx(args.checkpoint, args.out)
    except (CheckpointError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {path}")
    return 0
