"""Command line: ``tradedesk [--broker paper] [--smoke-test] [--version]``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from desktop import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradedesk", description="Tradedesk: trading desktop for every brokerage account.",
        epilog="Environment: TRADEDESK_LOG_LEVEL=DEBUG (or INFO, WARNING, ERROR) sets the log file's level "
               "(default INFO; secrets stay redacted at every level); TRADEDESK_HOME puts every file Tradedesk "
               "writes under one directory.")
    parser.add_argument("--broker", default=None, metavar="KEY",
                        help="also connect this connection, beside those connected when Tradedesk last quit (the "
                             "embedded paper broker on first run): paper (the built-in paper account), paper-advisor "
                             "(the paper advisor demo with client accounts and allocation groups), ibkr (your saved "
                             "Interactive Brokers connection, created with the defaults on first use)")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="start, wait for first paint, chart history and a live bar, print startup figures as JSON, exit",
    )
    parser.add_argument("--smoke-timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"Tradedesk {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tradedesk`` and ``python -m desktop``. Returns the exit code."""
    started = time.perf_counter()
    args = build_parser().parse_args(argv)
    from desktop.app.bootstrap import run  # Qt is imported only when the app really starts

    return run(args, started=started)


if __name__ == "__main__":
    sys.exit(main())
