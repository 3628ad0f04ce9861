"""Partner credentials: `authorization: Bearer <key>` is a tenant's API key, or the admin key for admin calls."""

from __future__ import annotations

from microdrama.errors import PermissionDenied, Unauthenticated
from microdrama.runtime.calls import Caller
from microdrama.tenants import TenantStore, same_secret

ADMIN_PREFIX = "/md.studio.v1.AdminService/"


def bearer(metadata: dict[str, str]) -> str:
    value = metadata.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing credential: send metadata 'authorization: Bearer <api key>'")
    return token.strip()


class GatewayAuth:
    def __init__(self, tenants: TenantStore, admin_key: str | None) -> None:
        self.tenants = tenants
        self.admin_key = admin_key

    async def authenticate(self, method: str, metadata: dict[str, str]) -> Caller:
        token = bearer(metadata)
        if method.startswith(ADMIN_PREFIX):
            if self.admin_key and same_secret(token, self.admin_key):
                return Caller(admin=True)
            raise PermissionDenied("admin calls need the admin key")
        tenant = await self.tenants.resolve(token)
        if tenant is None:
            raise Unauthenticated("the API key is not valid")
        return Caller(tenant=tenant)
