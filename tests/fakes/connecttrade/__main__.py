"""Run the fake Connect Trade API standalone, with the paper replay running.

    python -m tests.fakes.connecttrade --port 5002 [--data DIR]

Prints its REST base URL, its mdstream URL and its test credentials (client-id,
client-secret, user-id, user-secret, connection id), one per line, then serves
until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from pathlib import Path

from .app import running_connecttrade


async def serve(port: int, data: Path) -> None:
    """Serve until cancelled (Ctrl-C)."""
    async with running_connecttrade(data, autostart=True, port=port) as ct:
        for line in ct.banner():
            print(line)
        print("Ctrl-C stops.", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.connecttrade", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument("--data", type=Path, default=None, help="directory for the paper store (default: a temp dir)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        data = args.data or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fake-connecttrade-")))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.port, data))


if __name__ == "__main__":
    main()
