"""The fake's error bodies, in SnapTrade's two shapes (specs/snaptrade/NOTES.md
section 5): ``{"default_detail", "default_code"}`` for 400/401/403/404 and
``{"detail", "status_code", "code"}`` for 425/429/5xx (410: ``{"detail"}``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

SIGNATURE_FAILED = "Unable to verify signature sent"


def default_error(status: int, detail: str, code: int | str) -> web.Response:
    """A ``{"default_detail", "default_code"}`` error."""
    return web.json_response({"default_detail": detail, "default_code": code}, status=status)


def detail_error(status: int, detail: str, code: int | str | None = None, *,
                 headers: dict[str, str] | None = None) -> web.Response:
    """A ``{"detail", "status_code", "code"}`` error (``code`` None: only detail)."""
    body: dict[str, Any] = {"detail": detail}
    if code is not None:
        body.update({"status_code": status, "code": code})
    return web.json_response(body, status=status, headers=headers)


def bad_input(detail: str) -> web.Response:
    """400 code 1012 (invalid input) naming the field."""
    return default_error(400, detail, 1012)


def not_found(what: str) -> web.Response:
    return default_error(404, f"{what} not found", 1011)


def no_permission(detail: str) -> web.Response:
    return default_error(403, detail, 1066)


def signature_failed() -> web.Response:
    return default_error(401, SIGNATURE_FAILED, 1076)


def throttled(seconds: int, headers: dict[str, str] | None) -> web.Response:
    """429 with the documented body; ``headers`` None: no rate-limit headers at all."""
    return detail_error(429, f"Request was throttled. Expected available in {seconds} seconds.", "0000",
                        headers=headers)


def populating() -> web.Response:
    return web.json_response({"detail": "The resource is currently being populated. Please try again later.",
                              "code": 3012}, status=425)


def retired() -> web.Response:
    return detail_error(410, "This endpoint is no longer available for your account.")
