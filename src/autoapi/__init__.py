"""autoapi: a REST API for Beanie (MongoDB) models, mounted into Starlette or FastAPI."""

from __future__ import annotations

from autoapi.api import METHODS, AutoAPI
from autoapi.audit import Auditor
from autoapi.errors import ProblemError
from autoapi.hooks import (
    default_api_delete,
    default_api_post,
    default_api_put,
    default_api_values,
    default_on_list_query,
)
from autoapi.policy import Access
from autoapi.tenants import TenantPolicy, tenant_policy

__all__ = [
    "METHODS",
    "Access",
    "Auditor",
    "AutoAPI",
    "ProblemError",
    "TenantPolicy",
    "default_api_delete",
    "default_api_post",
    "default_api_put",
    "default_api_values",
    "default_on_list_query",
    "tenant_policy",
]
__version__ = "0.1.0"
