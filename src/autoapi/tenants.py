"""`tenant_policy`: the built-in policy that keeps tenants apart, by a field or by database."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from beanie import Document
from starlette.requests import Request

from autoapi.errors import ProblemError, bad_request
from autoapi.hooks import Hooks, call
from autoapi.policy import Access

TENANT = re.compile(r"[A-Za-z0-9_-]{1,48}")
RESERVED_DATABASES = frozenset({"admin", "local", "config"})
_BAD_DATABASE_CHARS = frozenset('/\\. "$*<>:|?\x00')
MAX_DATABASE_BYTES = 63
WRITE_HOOKS = frozenset({"api_post", "api_put", "api_delete"})
USES_STORE = "autoapi_uses_store"  # class attribute: the model's write hooks use autoapi.store
READ_METHODS = frozenset({"list", "get", "options"})
_TENANT_KEY = "autoapi.tenant"


class TenantPolicy:
    """A policy scoping each model to the tenant named by a request header.

    Field strategy (default): models with `field` are filtered and stamped with the tenant;
    `shared` models are readable by every tenant and writable by none; any other model is
    denied. Database strategy (`database=`): the models' documents live in the database
    `database(tenant)` names, in the collection of the same name; `shared` models stay in
    the `init_beanie` database, read-only.
    """

    def __init__(
        self,
        header: str = "X-Tenant-ID",
        field: str = "tenant",
        shared: Iterable[type[Document]] = (),
        database: Callable[[str], str] | None = None,
        tenants: Callable[[str], Any] | None = None,
    ) -> None:
        self.header = header
        self.field = field
        self.shared = frozenset(shared)
        self.database = database
        self.tenants = tenants

    async def __call__(self, request: Request, model: type[Document]) -> Access | None:
        tenant = await self.tenant(request)
        database = None if self.database is None else self._database(tenant)  # 400 first
        if model in self.shared:
            return Access(methods=READ_METHODS)
        has_field = self.field in model.model_fields
        stamp = {self.field: tenant} if has_field else None
        if database is not None:
            return Access(stamp=stamp, database=database)
        if not has_field:
            return None
        return Access(filter={self.field: tenant}, stamp=stamp)

    async def tenant(self, request: Request) -> str:
        """The request's tenant: 401 when absent or unknown, 400 when malformed."""
        known = request.scope.get(_TENANT_KEY)
        if known is not None:
            return str(known)
        value = request.headers.get(self.header, "").strip()
        if not value:
            raise ProblemError(401, f"the {self.header} header names no tenant")
        if not TENANT.fullmatch(value):
            raise bad_request(self.header, "a tenant is 1 to 48 letters, digits, _ or -")
        if self.tenants is not None and not await call(self.tenants, value):
            raise ProblemError(401, "unknown tenant")
        request.scope[_TENANT_KEY] = value
        return value

    def _database(self, tenant: str) -> str:
        assert self.database is not None
        name = self.database(tenant)
        if not valid_database_name(name):
            raise bad_request(self.header, "this tenant has no valid database name")
        return name

    def check_models(self, models: Iterable[type[Document]], hooks: Mapping[Any, Hooks]) -> None:
        """Under `database=`, refuse models whose custom write hooks bypass `autoapi.store`."""
        if self.database is None:
            return
        for model in models:
            custom = hooks[model].custom & WRITE_HOOKS
            if model in self.shared or not custom or getattr(model, USES_STORE, False):
                continue
            raise ValueError(
                f"{model.__name__} has custom write hooks ({', '.join(sorted(custom))}); under "
                f"tenant_policy(database=...) they must write through autoapi.store: say so "
                f"with `{USES_STORE}: ClassVar[bool] = True` on the class"
            )


def valid_database_name(name: Any) -> bool:
    """A MongoDB database name a tenant may use (not admin, local or config)."""
    if not isinstance(name, str) or not name or name.lower() in RESERVED_DATABASES:
        return False
    if len(name.encode()) > MAX_DATABASE_BYTES:
        return False
    return not (set(name) & _BAD_DATABASE_CHARS)


def tenant_policy(
    header: str = "X-Tenant-ID",
    field: str = "tenant",
    shared: Collection[type[Document]] = (),
    *,
    database: Callable[[str], str] | None = None,
    tenants: Callable[[str], Any] | None = None,
) -> TenantPolicy:
    """The built-in tenant policy; see :class:`TenantPolicy`.

    ``AutoAPI(models=[...], policy=tenant_policy(shared=[Country]))`` scopes by the
    ``tenant`` field; ``tenant_policy(database=lambda t: f"tenant_{t}")`` by database.
    `tenants` (sync or async) decides whether a tenant exists: an unknown one gets 401.
    """
    return TenantPolicy(header, field, shared, database, tenants)
