"""autoapi: a REST API for Beanie (MongoDB) models, mounted into Starlette or FastAPI."""

from __future__ import annotations

from autoapi.api import AutoAPI
from autoapi.audit import Auditor
from autoapi.errors import ProblemError
from autoapi.hooks import (
    default_api_delete,
    default_api_post,
    default_api_put,
    default_api_values,
    default_on_list_query,
)
from autoapi.introspect import Hidden
from autoapi.merge import merge_openapi
from autoapi.policy import Access
from autoapi.routes import METHODS
from autoapi.tenants import TenantPolicy, tenant_policy

__all__ = [
    "METHODS",
    "Access",
    "Auditor",
    "AutoAPI",
    "Hidden",
    "ProblemError",
    "TenantPolicy",
    "default_api_delete",
    "default_api_post",
    "default_api_put",
    "default_api_values",
    "default_on_list_query",
    "merge_openapi",
    "tenant_policy",
]
__version__ = "0.1.0"
