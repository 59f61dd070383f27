"""The web application: pages, JSON API (OpenAPI at /openapi.json), Atom feeds, static CSS."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from veille.settings import Settings
from veille.web import api, atom, document, errors, pages
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

    errors.install(app)
    document.install(app, settings)
    return app
