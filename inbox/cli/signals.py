"""`inbox signals score`: anomaly scores of a count series (inbox.signals_cli), no database."""

from __future__ import annotations

import argparse
from pathlib import Path

from inbox.cli.common import Commands, standalone


def register(commands: Commands) -> None:
    signals = commands.add_parser("signals", help="outage signals in count series")
    signals_commands = signals.add_subparsers(dest="signals_command", required=True)
    score = signals_commands.add_parser(
        "score",
        help="anomaly scores (0 to 1) of a timestamp,value CSV, bucket by bucket, online; "
        "writes timestamp,anomaly_score",
    )
    score.add_argument("file", type=Path)
    score.add_argument("--out", type=Path, help="CSV to write (default: standard output)")
    score.add_argument(
        "--bucket-minutes",
        type=float,
        help="sum rows into buckets of N minutes (empty ones count zero); "
        "default: each row is a bucket",
    )
    standalone(score, _score)


def _score(args: argparse.Namespace) -> int:
    from inbox.signals_cli import run_score

    return run_score(args.file, args.out, args.bucket_minutes)
