"""Run the fake SnapTrade API standalone, with the paper replay running.

    python -m tests.fakes.snaptrade --port 5001 [--personal] [--data DIR] [--populate SECONDS]

Prints its base URL and test credentials (client id, consumer key, user id, user
secret; one per line), then serves until Ctrl-C. Commercial mode registers a demo
user whose id and secret it prints (an app may register its own); with
``--personal`` the key identifies the user and no user id or secret is used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from pathlib import Path

from .app import running_snaptrade


async def serve(port: int, personal: bool, data: Path, populate: float) -> None:
    """Serve until cancelled (Ctrl-C)."""
    async with running_snaptrade(data, personal=personal, port=port, autostart=True,
                                 populate_seconds=populate) as fake:
        print(f"base URL: {fake.base_url}")
        print(f"client id: {fake.state.client_id}")
        print(f"consumer key: {fake.state.consumer_key}")
        if personal:
            print("user id: (none: a Personal key identifies its user)")
            print("user secret: (none)")
        else:
            user = fake.demo_user()
            print(f"user id: {user.user_id}")
            print(f"user secret: {user.secret}")
        print("Ctrl-C stops.", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.snaptrade", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--personal", action="store_true", help="serve a Personal key (no registerUser)")
    parser.add_argument("--data", type=Path, default=None, help="directory for the paper store (default: a temp dir)")
    parser.add_argument("--populate", type=float, default=3.0,
                        help="seconds a newly linked account answers 425 'being populated' (default 3)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        data = args.data or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fake-snaptrade-")))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.port, args.personal, data, args.populate))


if __name__ == "__main__":
    main()
