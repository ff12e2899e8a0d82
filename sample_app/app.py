"""The sample Starlette app: autoapi at /api, a demo page at /, and /healthz.

Configuration comes from the environment (see README, "Configuration"); `TENANT_HEADER`
switches on tenant mode (see `sample_app.tenants` and docs/policy.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beanie import init_beanie
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from autoapi import AutoAPI
from autoapi.errors import problem_response
from sample_app.database import close, database_client
from sample_app.models import MODELS
from sample_app.seed import seed
from sample_app.tenants import TENANTS, seed_tenants
from sample_app.tenants import policy as tenant_mode_policy

logger = logging.getLogger("sample_app")

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
SCHEMA_DIR = HERE.parent / "schemas"
PING_TIMEOUT_S = 3.0
SERVER_SELECTION_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Settings:
    """What the environment chooses: the database, the demo data and CORS origins."""

    mongodb_url: str | None = None
    mongodb_db: str = "autoapi_sample"
    seed_demo_data: bool = True
    cors_origins: tuple[str, ...] = ()
    tenant_header: str | None = None  # set: tenant mode, the tenant named by this header

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = env.get("MONGODB_URL") or None
        return cls(
            mongodb_url=url,
            mongodb_db=env.get("MONGODB_DB") or cls.mongodb_db,
            # A real database is seeded only when asked: it may hold someone's data.
            seed_demo_data=_flag(env.get("SEED_DEMO_DATA"), default=url is None),
            cors_origins=_split_origins(env.get("CORS_ORIGINS", "")),
            tenant_header=(env.get("TENANT_HEADER") or "").strip() or None,
        )


def _flag(raw: str | None, default: bool) -> bool:
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _split_origins(raw: str) -> tuple[str, ...]:
    return tuple(o.strip().rstrip("/") for o in raw.replace(" ", ",").split(",") if o.strip())


def make_lifespan(settings: Settings) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = database_client(settings.mongodb_url, SERVER_SELECTION_TIMEOUT_MS)
        database = client[settings.mongodb_db]
        await init_beanie(database=database, document_models=MODELS)
        if settings.seed_demo_data and await seed():
            logger.info("seeded the demo data into %s", settings.mongodb_db)
        if settings.seed_demo_data and settings.tenant_header:
            for tenant in await seed_tenants(client, settings.mongodb_db):
                logger.info("seeded the demo data of tenant %s", tenant)
        app.state.database = database
        try:
            yield
        finally:
            if settings.mongodb_url:
                await close(client)

    return lifespan


async def healthz(request: Request) -> Response:
    """200 when the database answers a ping in time, else a 503 problem."""
    try:
        await asyncio.wait_for(request.app.state.database.command("ping"), PING_TIMEOUT_S)
    except Exception:  # whatever the cause, the answer is "not healthy"
        logger.warning("health check: the database did not answer", exc_info=True)
        return problem_response(503, "the database did not answer a ping")
    return JSONResponse({"status": "ok"})


async def tenants(request: Request) -> Response:
    """What the page needs for its tenant switch: the header and the tenants (none: off)."""
    header = request.app.state.tenant_header
    return JSONResponse({"header": header, "tenants": list(TENANTS) if header else []})


def build_api(settings: Settings | None = None) -> AutoAPI:
    settings = settings or Settings()
    policy = None
    if settings.tenant_header:
        policy = tenant_mode_policy(settings.tenant_header, settings.mongodb_db)
    return AutoAPI(
        models=MODELS, schema_dir=SCHEMA_DIR, default_limit=20, max_limit=100, policy=policy
    )


def middleware(settings: Settings) -> list[Middleware]:
    if not settings.cors_origins:
        return []
    return [Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", *filter(None, [settings.tenant_header])],
        expose_headers=["Location"],
    )]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    routes = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/tenants", tenants, methods=["GET"]),
        Mount("/api", app=build_api(settings)),
        Mount("/", app=StaticFiles(directory=STATIC_DIR, html=True), name="static"),
    ]
    app = Starlette(routes=routes, middleware=middleware(settings),
                    lifespan=make_lifespan(settings))
    app.state.tenant_header = settings.tenant_header
    return app


app = create_app()
