"""md.studio.v1.AdminService: operator calls, authorised by the admin key."""

from __future__ import annotations

import grpc

from md.studio.v1 import studio_pb2 as pb
from md.studio.v1 import studio_pb2_grpc as pb_grpc
from microdrama.runtime.requests import RequestLog
from microdrama.tenants import TenantStore


class AdminServicer(pb_grpc.AdminServiceServicer):
    def __init__(self, tenants: TenantStore, requests: RequestLog) -> None:
        self.tenants = tenants
        self.requests = requests

    async def CreateTenant(
        self, request: pb.CreateTenantRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateTenantResponse:
        async def create() -> pb.CreateTenantResponse:
            api_key = await self.tenants.create(request.name)
            return pb.CreateTenantResponse(tenant_id=request.name, api_key=api_key)

        return await self.requests.once("CreateTenant", request.request_id, pb.CreateTenantResponse, create)
