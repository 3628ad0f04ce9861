"""A connection to the studio gateway: TLS when a CA is given, the API key and a deadline on every call."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from md.studio.v1 import studio_pb2 as pb
from md.studio.v1 import studio_pb2_grpc as pb_grpc
from microdrama.runtime.tls import channel_credentials

CHUNK_BYTES = 1024 * 1024
CALL_TIMEOUT_S = 60.0
# A watch lasts as long as an episode takes; the deadline only bounds a forgotten client.
WATCH_TIMEOUT_S = 6 * 3600.0


@dataclass(frozen=True)
class Gateway:
    address: str
    api_key: str
    ca_file: Path | None = None

    def channel(self) -> grpc.aio.Channel:
        options = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]
        if self.ca_file is None:
            return grpc.aio.insecure_channel(self.address, options=options)
        return grpc.aio.secure_channel(self.address, channel_credentials(self.ca_file), options=options)

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.api_key}"), ("x-request-id", uuid.uuid4().hex))


class GatewayClient:
    """Typed calls with deadlines; use as `async with GatewayClient(gateway) as client:`."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def __aenter__(self) -> GatewayClient:
        self.ch = self.gateway.channel()
        self.studio = pb_grpc.StudioServiceStub(self.ch)
        self.admin = pb_grpc.AdminServiceStub(self.ch)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ch.close()

    def _kw(self, timeout: float = CALL_TIMEOUT_S) -> dict[str, Any]:
        return {"timeout": timeout, "metadata": self.gateway.metadata()}

    async def create_series(self, request_id: str, bible: bytes, template: bytes) -> pb.Series:
        request = pb.CreateSeriesRequest(request_id=request_id, bible_yaml=bible, template_yaml=template)
        return (await self.studio.CreateSeries(request, **self._kw())).series

    async def upload(self, header: pb.UploadHeader, path: Path) -> pb.UploadObjectResponse:
        async def parts() -> AsyncIterator[pb.UploadObjectRequest]:
            yield pb.UploadObjectRequest(header=header)
            for chunk in _chunks(path):
                yield pb.UploadObjectRequest(chunk=chunk)

        response: pb.UploadObjectResponse = await self.studio.UploadObject(parts(), **self._kw(600.0))
        return response

    async def submit(self, request_id: str, series_id: str, episode_id: str) -> pb.Operation:
        request = pb.SubmitEpisodeRequest(request_id=request_id, series_id=series_id, episode_id=episode_id)
        return (await self.studio.SubmitEpisode(request, **self._kw())).operation

    async def list_series(self) -> list[pb.Series]:
        return list((await self.studio.ListSeries(pb.ListSeriesRequest(), **self._kw())).series)

    def watch(self, series_id: str, episode_id: str) -> AsyncIterator[pb.WatchEpisodeResponse]:
        request = pb.WatchEpisodeRequest(series_id=series_id, episode_id=episode_id)
        stream: AsyncIterator[pb.WatchEpisodeResponse] = self.studio.WatchEpisode(request, **self._kw(WATCH_TIMEOUT_S))
        return stream

    async def deliverables(self, series_id: str, episode_id: str) -> list[pb.Deliverable]:
        request = pb.ListDeliverablesRequest(series_id=series_id, episode_id=episode_id)
        return list((await self.studio.ListDeliverables(request, **self._kw())).deliverables)

    async def create_tenant(self, request_id: str, name: str) -> pb.CreateTenantResponse:
        response: pb.CreateTenantResponse = await self.admin.CreateTenant(
            pb.CreateTenantRequest(request_id=request_id, name=name), **self._kw()
        )
        return response


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            yield chunk
