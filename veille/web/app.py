"""The web application: pages, JSON API (OpenAPI at /openapi.json), Atom feeds, static CSS."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from veille.settings import Settings
from veille.web import api, atom, pages
from veille.web.security import guard
from veille.web.templating import make_env

STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings, sessions: sessionmaker[Session]) -> FastAPI:
    """Build the app over a session factory; serving it (and where) is the caller's business."""
    app = FastAPI(
        title="Veille",
        version="0.1.0",
        summary="Attributed warnings and demands between governments and alliances.",
        description=(
            "Statements extracted from French news feeds, their clusters, the alerts they "
            "fired and the health of the feeds. Times are UTC (ISO 8601); `day` is the local "
            "publication day in the configured time zone."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.templates = Jinja2Templates(env=make_env())
    app.middleware("http")(guard(settings.web_token))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(atom.router)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        """JSON errors for the API, a small page for people."""
        if request.url.path.startswith("/api/") or "html" not in request.headers.get("accept", ""):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        templates = request.app.state.templates
        response: HTMLResponse = templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": exc.status_code,
                "detail": exc.detail,
                "tz": settings.timezone,
                "active": "",
            },
            status_code=exc.status_code,
            headers=exc.headers,
        )
        return response

    return app
