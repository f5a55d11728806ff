"""`python -m lstmvis_dash COMMAND ...`: the command line.

Each command lives in its own module and registers itself on the shared parser with
`add_parser(subparsers)`, setting `run(args) -> exit code` as its default.
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lstmvis_dash",
                                     description="LSTMVis-Dash: look inside sequence models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    from . import convert, prepare, sharding
    convert.add_parser(sub)
    prepare.add_parser(sub)
    sharding.add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
