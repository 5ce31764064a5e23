"""Run the fake Client Portal Gateway standalone, with the paper replay running.

    python -m tests.fakes.ibkr --port 5000 [--unauthenticated] [--data DIR]

Prints the REST base URL, the browser login URL and the certificate fingerprint to
pin, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from pathlib import Path

from .app import running_gateway


async def serve(port: int, authenticated: bool, data: Path) -> None:
    """Serve until cancelled (Ctrl-C)."""
    async with running_gateway(data, authenticated=authenticated, autostart=True, port=port) as gw:
        print(f"base URL:    {gw.base_url}")
        print(f"websocket:   {gw.ws_url}")
        print(f"login URL:   {gw.login_url}")
        print(f"fingerprint: {gw.fingerprint}")
        print("Ctrl-C stops.", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.ibkr", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--unauthenticated", action="store_true", help="start logged out (log in at the login URL)")
    parser.add_argument("--data", type=Path, default=None, help="directory for the paper store (default: a temp dir)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        data = args.data or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fake-ibkr-")))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.port, not args.unauthenticated, data))


if __name__ == "__main__":
    main()
