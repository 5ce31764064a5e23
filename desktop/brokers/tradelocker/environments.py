"""TradeLocker's environments (specs/tradelocker/NOTES.md section 2): the demo and
live hosts, each serving the API under ``/backend-api``, or a custom environment
(another host, or the fake on loopback)."""

from __future__ import annotations

DEMO = "https://demo.tradelocker.com"
LIVE = "https://live.tradelocker.com"
ENVIRONMENTS = {"demo": DEMO, "live": LIVE}
API_PATH = "/backend-api"


def api_base(environment: str) -> str:
    """The API base URL of ``environment`` ("demo", "live" or a URL such as
    "https://demo.tradelocker.com" or one already ending in ``/backend-api``):
    "https://demo.tradelocker.com/backend-api"."""
    url = ENVIRONMENTS.get(environment.strip().lower(), environment.strip()).rstrip("/")
    return url if url.endswith(API_PATH) else url + API_PATH
