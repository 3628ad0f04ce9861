"""The gateway's gRPC API: the partner service and the admin service, with API-key auth."""

from __future__ import annotations

from md.studio.v1 import studio_pb2 as pb
from md.studio.v1 import studio_pb2_grpc as pb_grpc
from microdrama.logs import get_logger
from microdrama.runtime.grpc_server import Registration
from microdrama.runtime.requests import RequestLog
from microdrama.runtime.service import Api, ApiContext
from microdrama.tenants import TenantStore
from microdrama_studio.admin import AdminServicer
from microdrama_studio.auth import GatewayAuth
from microdrama_studio.gateway import StudioServicer
from microdrama_studio.series_index import SeriesIndex

log = get_logger(__name__)


async def gateway_api(ctx: ApiContext) -> Api:
    settings = ctx.deps.settings
    js = ctx.bus.js
    tenants = await TenantStore.open(js, ctx.bus.replicas)
    if settings.bootstrap_tenant and settings.bootstrap_api_key:
        await tenants.ensure(settings.bootstrap_tenant, settings.bootstrap_api_key.get_secret_value())
        log.info("bootstrap tenant ready", tenant=settings.bootstrap_tenant)
    requests = await RequestLog.open(js, ctx.bus.replicas)
    studio = StudioServicer(ctx, requests, await SeriesIndex.open(js, ctx.bus.replicas))
    admin = AdminServicer(tenants, requests)
    services = pb.DESCRIPTOR.services_by_name
    admin_key = settings.admin_key.get_secret_value() if settings.admin_key else None
    return Api(
        registrations=[
            Registration(
                services["StudioService"].full_name, lambda s: pb_grpc.add_StudioServiceServicer_to_server(studio, s)
            ),
            Registration(
                services["AdminService"].full_name, lambda s: pb_grpc.add_AdminServiceServicer_to_server(admin, s)
            ),
        ],
        auth=GatewayAuth(tenants, admin_key),
        partner_facing=True,
    )
