"""Who may read the web app, and what a page may do in the browser.

Bound to loopback with no token, only requests addressed to a loopback host name are served
(a DNS-rebinding page cannot read the app). Bound anywhere else, a token is required: as
``Authorization: Bearer``, or once as ``?token=`` which sets a cookie. Every answer carries a
strict Content-Security-Policy, so feed text that slipped into markup still could not run.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from veille.settings import is_loopback_host, web_token_problem

log = logging.getLogger("veille.web")

COOKIE = "veille_token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class InsecureBinding(RuntimeError):
    """The app would be reachable from other machines without a token."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine can connect."""
    return is_loopback_host(host)


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve a non-loopback address without a token, saying why and what to do."""
    if is_loopback(host):
        return
    problem = web_token_problem(token) if token is not None else None
    if token and problem:
        message = f"refusing to serve the web app on {host}: VEILLE_WEB_TOKEN {problem}"
        log.warning(message)
        raise InsecureBinding(message)
    if token:
        return
    message = (
        f"refusing to serve the web app on {host}: it is not a loopback address and no token "
        "is set; set VEILLE_WEB_TOKEN (or --web-token), or bind 127.0.0.1"
    )
    log.warning(message)
    raise InsecureBinding(message)


def _host_name(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[1:].partition("]")[0].lower()
    return host.rpartition(":")[0].lower() if ":" in host else host.lower()


def _given_token(request: Request) -> tuple[str | None, bool]:
    """The token the client sent and whether it came in the query string."""
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    if request.query_params.get("token"):
        return request.query_params["token"], True
    return request.cookies.get(COOKIE), False


Handler = Callable[[Request], Awaitable[Response]]


def guard(token: str | None) -> Callable[[Request, Handler], Awaitable[Response]]:
    """An HTTP middleware enforcing the token (when set) or loopback Host names (when not)."""
    expected = token.encode() if token else None

    async def middleware(request: Request, call_next: Handler) -> Response:
        from_query = False
        if expected is None:
            if _host_name(request) not in LOOPBACK_NAMES:
                return _secure(PlainTextResponse("unknown host name", status_code=421))
        else:
            given, from_query = _given_token(request)
            if not given or not hmac.compare_digest(given.encode(), expected):
                return _secure(
                    PlainTextResponse(
                        "a token is required: Authorization: Bearer <token> or ?token=<token>",
                        status_code=401,
                        headers={"WWW-Authenticate": "Bearer"},
                    )
                )
        try:
            response = await call_next(request)
        except Exception:
            # an unexpected error is a 500 like any other: the same headers, no traceback out
            log.exception("%s %s failed", request.method, request.url.path)
            return _secure(PlainTextResponse("internal error", status_code=500))
        if from_query and token:
            response.set_cookie(
                COOKIE,
                token,
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        return _secure(response)

    return middleware


def _secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
