"""Run the fake TradeLocker server standalone, its market playing one minute a second.

    python -m tests.fakes.tradelocker --port 5003

Prints the environment URL (give it to Tradedesk's TradeLocker connection as a custom
environment, or to the official client as ``environment``) and the test credentials,
one per line, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .app import FakeTradeLocker


async def serve(port: int, pace: float) -> None:
    """Serve until cancelled (Ctrl-C)."""
    fake = FakeTradeLocker(port=port)
    await fake.start()
    fake.advance_minutes(30)  # a little of the session played: quotes and bars exist
    fake.tick(pace)
    try:
        print(f"environment: {fake.environment}")
        print(f"base URL: {fake.base_url}")
        print(f"email: {fake.credentials['email']}")
        print(f"password: {fake.credentials['password']}")
        print(f"server: {fake.credentials['server']}")
        print("Ctrl-C stops.", flush=True)
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.tradelocker", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5003)
    parser.add_argument("--pace", type=float, default=1.0, help="wall seconds per market minute (default 1)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.pace))


if __name__ == "__main__":
    main()
