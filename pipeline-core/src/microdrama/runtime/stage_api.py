"""md.stage.v1.StageService: call a stage's event handler directly, for operators and other services."""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf.message import DecodeError

from md.stage.v1 import stage_pb2 as pb
from md.stage.v1 import stage_pb2_grpc as pb_grpc
from microdrama.errors import Conflict, InputError, NotReady
from microdrama.events.catalog import PAYLOADS
from microdrama.events.envelope import new_event
from microdrama.runtime.calls import caller
from microdrama.runtime.grpc_server import Registration
from microdrama.runtime.requests import RequestLog
from microdrama.runtime.service import ApiContext, Service


def _tenant_of(payload: object) -> str:
    episode = getattr(payload, "episode", None)
    tenant = getattr(episode, "tenant_id", "") or getattr(payload, "tenant_id", "")
    if not tenant:
        raise InputError("the payload names no tenant (episode.tenant_id or tenant_id)")
    return str(tenant)


class StageServicer(pb_grpc.StageServiceServicer):
    def __init__(self, service: Service, ctx: ApiContext, requests: RequestLog) -> None:
        self.service = service
        self.ctx = ctx
        self.requests = requests
        self.handlers = {sub.subject: sub.handler for sub in service.subscriptions if not sub.subject.endswith(">")}

    async def ListInputs(
        self, request: pb.ListInputsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInputsResponse:
        inputs = [pb.StageInput(subject=s, payload_type=PAYLOADS[s].DESCRIPTOR.full_name) for s in self.handlers]
        return pb.ListInputsResponse(service=self.service.name, inputs=inputs)

    async def Run(self, request: pb.RunRequest, context: grpc.aio.ServicerContext) -> pb.RunResponse:
        handler = self.handlers.get(request.subject)
        if handler is None:
            raise InputError(f"{self.service.name} takes no input {request.subject!r}: see ListInputs")
        try:
            payload = PAYLOADS[request.subject].FromString(request.payload)
        except DecodeError as exc:
            raise InputError(f"payload is not a {PAYLOADS[request.subject].DESCRIPTOR.full_name}: {exc}") from exc
        tenant = _tenant_of(payload)

        async def run() -> pb.RunResponse:
            event = new_event(request.subject, payload, tenant=tenant, key=f"call:{request.request_id}")
            try:
                outputs = await asyncio.to_thread(handler, event, self.ctx.deps)
            except NotReady as exc:
                raise Conflict(f"not ready: {exc}") from exc
            if request.publish:
                for out in outputs:
                    await self.ctx.bus.publish(out)
            return pb.RunResponse(
                events=[
                    pb.EmittedEvent(
                        id=o.id,
                        subject=o.subject,
                        payload_type=o.payload.DESCRIPTOR.full_name,
                        payload=o.payload.SerializeToString(),
                    )
                    for o in outputs
                ]
            )

        scope = f"{self.service.name}.Run.{caller().tenant or ''}"
        return await self.requests.once(scope, request.request_id, pb.RunResponse, run)


async def stage_registration(service: Service, ctx: ApiContext) -> Registration:
    servicer = StageServicer(service, ctx, await RequestLog.open(ctx.bus.js, ctx.bus.replicas))
    return Registration(
        pb.DESCRIPTOR.services_by_name["StageService"].full_name,
        lambda server: pb_grpc.add_StageServiceServicer_to_server(servicer, server),
    )
