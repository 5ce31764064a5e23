"""Client-side helpers for tests that talk to the fake gateway directly over loopback
HTTPS/WSS (no Tradedesk adapter in between).

``rest_client(gw)``: an ``httpx.AsyncClient`` on ``gw.base_url`` trusting exactly the
served certificate; ``confirm_all(c, answer)``: answer every reply question yes and
return ``(final answer, [message ids asked, in order])``; ``ws_connect(gw, session)``:
a websocket with the ``api={"session": ...}`` cookie (None: no cookie);
``next_topic(ws, prefix)``: the next frame whose topic starts with ``prefix`` (others
are skipped; :class:`TopicReader` keeps them for later instead).
"""

from __future__ import annotations

import asyncio
import json

import httpx
from websockets.asyncio.client import connect


def rest_client(gw, timeout: float = 10) -> httpx.AsyncClient:
    """An HTTPS client of ``gw`` that verifies its pinned certificate."""
    return httpx.AsyncClient(base_url=gw.base_url, verify=gw.client_ssl_context(), timeout=timeout)


async def confirm_all(c: httpx.AsyncClient, answer: list | dict) -> tuple[list | dict, list[list[str]]]:
    """Confirm every question; returns the final answer and the message ids asked."""
    asked = []
    while isinstance(answer, list) and answer and "id" in answer[0]:
        asked.append(answer[0]["messageIds"])
        answer = (await c.post(f"/iserver/reply/{answer[0]['id']}", json={"confirmed": True})).json()
    return answer, asked


async def ws_connect(gw, session: str | None, **kwargs):
    """Open ``gw``'s websocket, authenticated with ``session`` (the tickle token)."""
    headers = {"Cookie": "api=" + json.dumps({"session": session})} if session else {}
    return await connect(gw.ws_url, ssl=gw.client_ssl_context(), additional_headers=headers, **kwargs)


async def next_topic(ws, prefix: str, timeout: float = 5) -> dict:
    """The next JSON frame whose ``topic`` starts with ``prefix`` (others skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if str(frame.get("topic", "")).startswith(prefix):
                return frame


class TopicReader:
    """Reads one websocket's frames and hands them out per topic prefix, so waiting
    for one topic never loses another's frames: ``await reader.next("sld+")``."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.frames: list[dict] = []  # every frame read, in order ("_taken" marks those handed out)

    async def next(self, prefix: str, timeout: float = 5) -> dict:
        """The oldest frame not handed out yet whose topic starts with ``prefix``."""
        return await self.next_matching(lambda f: str(f.get("topic", "")).startswith(prefix), timeout)

    async def next_matching(self, predicate, timeout: float = 5) -> dict:
        """The oldest frame not handed out yet for which ``predicate(frame)`` is true."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames:
                    if not frame.get("_taken") and predicate(frame):
                        frame["_taken"] = True
                        return {k: v for k, v in frame.items() if k != "_taken"}
                self.frames.append(json.loads(await self.ws.recv()))
