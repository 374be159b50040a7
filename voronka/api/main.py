"""The REST API: django-ninja at /api/v1/, its OpenAPI schema and docs at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from . import errors, idempotency
from .auth import TokenAuth
from .routers import activities, crm, deal_actions, deals, history, pipelines

api = NinjaAPI(
    title="Voronka API",
    version="1",
    description=(
        "The same rules as the web UI: stages are passed by facts, forward only; a refused "
        "move answers 409 or 422 with the list of missing facts. Authenticate with "
        "`Authorization: Bearer <token>` (create one in the UI or with `voronka token "
        "create`). POST honours `Idempotency-Key`. Lists use cursor pagination."),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
for module in (pipelines, deals, deal_actions, history, crm, activities):
    api.add_router("", module.router)
idempotency.install(api)
