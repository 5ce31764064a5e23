"""The fake Connection Portal: the page the ``/snapTrade/login`` URL opens, with one
"Link" button per brokerage (the login's ``broker`` preselects one; a ``reconnect``
link shows only that connection's brokerage). Pressing a button (a form POST)
creates the authorization and its account, as a user logging in at that brokerage
would. A link expires 5 minutes after it was made and works once."""

from __future__ import annotations

import html

from aiohttp import web

from .app import fake_of
from .catalog import BROKERAGES, brokerage

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>SnapTrade Connection Portal (fake)</title>
<style>body{{font-family:sans-serif;margin:2em}} button{{margin:.3em;padding:.5em 1em}}</style></head>
<body><h1>Connect your brokerage</h1><p>{intro}</p>{body}</body></html>"""


def _page(intro: str, body: str = "", status: int = 200) -> web.Response:
    return web.Response(text=_PAGE.format(intro=html.escape(intro), body=body), content_type="text/html",
                        status=status)


def _session(request: web.Request):
    fake = fake_of(request)
    session = fake.state.portals.get(request.match_info["session"])
    if session is None:
        return None, _page("This link is not valid.", status=404)
    if session.used or fake.state.clock() > session.expires:
        return None, _page("This link has expired (links last 5 minutes). Ask the app for a new one.",
                           status=410)
    return session, None


async def page(request: web.Request) -> web.Response:
    session, refused = _session(request)
    if refused is not None:
        return refused
    choices = [b for b in BROKERAGES if not session.broker or b.slug == session.broker]
    if session.reconnect:
        auth = fake_of(request).state.authorizations.get(session.reconnect)
        choices = [auth.brokerage] if auth is not None else []
    buttons = "".join(
        f'<form method="post" action="/portal/{session.id}/link"><input type="hidden" name="broker" '
        f'value="{html.escape(b.slug)}"><button type="submit" name="link" value="{html.escape(b.slug)}">'
        f'Link {html.escape(b.name)}</button></form>' for b in choices)
    kind = "trading" if session.connection_type != "read" else "read-only"
    return _page(f"Choose a brokerage to connect ({kind} access).", buttons)


async def link(request: web.Request) -> web.Response:
    session, refused = _session(request)
    if refused is not None:
        return refused
    form = await request.post()
    found = brokerage(str(form.get("broker", "")))
    if found is None:
        return _page("Unknown brokerage.", status=400)
    auth = fake_of(request).state.link(session, found)
    return _page(f"{found.name} is connected ({auth.type}). You can close this window and go back to the app.")


def setup(app: web.Application) -> None:
    app.router.add_get("/portal/{session}", page)
    app.router.add_post("/portal/{session}/link", link)
