"""Error answers: JSON for the API and programs, a small page for people, each with a reason.

A value the OpenAPI document does not allow is a 422 whose message says, in words, what the
parameter takes (not the pattern it failed), and never echoes the value back.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from veille.domain import TYPES

# what the parameters whose rule is a pattern take, said for people
HINTS = {
    "type": f"one of {', '.join(TYPES)}, or blank for any",
    "feed": "a feed id (at most 18 digits), or blank for any",
    "day": "a calendar date as YYYY-MM-DD, or blank for any",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "html" not in request.headers.get("accept", "")


def _page(request: Request, status: int, detail: Any, headers: Any = None) -> Response:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "detail": detail,
            "tz": request.app.state.settings.timezone,
            "active": "",
        },
        status_code=status,
        headers=headers,
    )
    return response


def explain(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error as the API tells it: where, what is expected, which rule."""
    loc = [str(part) for part in error.get("loc", ())]
    name = loc[-1] if loc else ""
    msg = str(error.get("msg", "invalid value"))
    if error.get("type") == "string_pattern_mismatch" and name in HINTS:
        msg = f"{name} must be {HINTS[name]}"
    elif name:
        msg = f"{name}: {msg}"
    return {"loc": loc, "msg": msg, "type": str(error.get("type", "value_error"))}


async def http_error(request: Request, exc: Exception) -> Response:
    """An HTTPException as JSON for the API and programs, as a page for browsers."""
    assert isinstance(exc, HTTPException)
    if _wants_json(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    return _page(request, exc.status_code, exc.detail, exc.headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    """A 422 naming each parameter that does not hold, with what it takes."""
    assert isinstance(exc, RequestValidationError)
    errors = [explain(dict(e)) for e in exc.errors()]
    if _wants_json(request):
        return JSONResponse({"detail": errors}, status_code=422)
    return _page(request, 422, "; ".join(e["msg"] for e in errors))


def install(app: FastAPI) -> None:
    """Answer errors with reasons, in the form the client reads."""
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
