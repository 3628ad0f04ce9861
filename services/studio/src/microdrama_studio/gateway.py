"""md.studio.v1.StudioService: what partners call. Every lookup is scoped to the caller's tenant."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath

import grpc
import yaml
from google.protobuf.json_format import ParseDict

from md.common.v1.refs_pb2 import EpisodeMedia, EpisodeRef
from md.episode.v1.events_pb2 import EpisodeApproved
from md.studio.v1 import studio_pb2 as pb
from md.studio.v1 import studio_pb2_grpc as pb_grpc
from microdrama.documents import load_bible
from microdrama.domain.bible import Bible, parse_bible
from microdrama.errors import Conflict, InputError, NotFound
from microdrama.events.catalog import EPISODE_APPROVED
from microdrama.events.envelope import Event, new_event
from microdrama.finishing.template import parse_template
from microdrama.keys import KeyError_, check_segment
from microdrama.layout import bible_key, episode_prefix, reference_key, script_key, template_key
from microdrama.runtime.calls import tenant
from microdrama.runtime.requests import RequestLog
from microdrama.runtime.service import ApiContext
from microdrama.status import apply_event, status_key
from microdrama.store.base import ObjectNotFound, ObjectStore
from microdrama.submission import content_digest, episode_event, series_event
from microdrama_studio.episodes import episode_message
from microdrama_studio.series_index import SeriesIndex
from microdrama_studio.uploads import episode_ids, receive, target_of

DEFAULT_URL_TTL_S = 3600
# Where a submission rests: watching stops there (a failed QC may still be approved, a new watch follows it).
_FINAL = (pb.EPISODE_STATE_DELIVERED, pb.EPISODE_STATE_FAILED, pb.EPISODE_STATE_QC_FAILED)
MAX_URL_TTL_S = 7 * 24 * 3600  # the longest an S3 presigned URL may live


def _id(value: str, field: str) -> str:
    try:
        check_segment(value)
    except KeyError_ as exc:
        raise InputError(f"{field} {value!r} is not a valid id: letters, digits, '.', '_', '-'") from exc
    return value


def _missing(store: ObjectStore, tenant_id: str, bible: Bible, episodes: list[str]) -> list[str]:
    """Files the bible names that are not uploaded: every reference, and the given episodes' scripts."""
    missing = [
        ref
        for c in bible.characters
        for i, ref in enumerate(c.references)
        if not store.exists(reference_key(tenant_id, bible.id, c.id, i, PurePosixPath(ref).suffix.lower()))
    ]
    ids = episode_ids(bible)
    for episode in episodes:
        ref = EpisodeRef(tenant_id=tenant_id, series_id=bible.id, episode_id=episode)
        if not store.exists(script_key(ref)):
            missing.append(ids[episode])
    return missing


class StudioServicer(pb_grpc.StudioServiceServicer):
    def __init__(self, ctx: ApiContext, requests: RequestLog, series: SeriesIndex) -> None:
        self.ctx = ctx
        self.store = ctx.deps.store
        self.requests = requests
        self.series = series
        status = ctx.deps.status
        if status is None:
            raise RuntimeError("the gateway needs the episode status store")
        self.status = status
        self.limits = ctx.deps.settings.media_limits()

    async def _bible(self, tenant_id: str, series_id: str) -> Bible:
        _id(series_id, "series_id")
        try:
            return await asyncio.to_thread(load_bible, self.store, bible_key(tenant_id, series_id))
        except ObjectNotFound as exc:
            raise NotFound(f"series {series_id!r} not found") from exc

    async def _episode_bible(self, tenant_id: str, series_id: str, episode_id: str) -> Bible:
        bible = await self._bible(tenant_id, series_id)
        if _id(episode_id, "episode_id") not in episode_ids(bible):
            raise NotFound(f"episode {episode_id!r} not found in series {series_id!r}")
        return bible

    async def _series_message(self, tenant_id: str, bible: Bible) -> pb.Series:
        ids = list(episode_ids(bible))
        docs = {d["episode"]: d for d in await self.status.all(f"{tenant_id}.{bible.id}.*")}
        missing = await asyncio.to_thread(_missing, self.store, tenant_id, bible, ids)
        return pb.Series(
            id=bible.id,
            title=bible.title,
            episode_ids=ids,
            missing_files=missing,
            episodes=[episode_message(bible.id, e, docs.get(e)) for e in ids],
        )

    async def CreateSeries(
        self, request: pb.CreateSeriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateSeriesResponse:
        t = tenant()

        async def create() -> pb.CreateSeriesResponse:
            text = request.bible_yaml.decode("utf-8", errors="strict")
            bible = parse_bible(text, "bible.yaml")
            if request.template_yaml:
                parse_template(yaml.safe_load(request.template_yaml), "template.yaml")
                await asyncio.to_thread(self.store.put_bytes, template_key(t, bible.id), request.template_yaml)
            await asyncio.to_thread(self.store.put_bytes, bible_key(t, bible.id), request.bible_yaml)
            await self.series.put(t, bible.id, bible.title)
            return pb.CreateSeriesResponse(series=await self._series_message(t, bible))

        try:
            return await self.requests.once(f"CreateSeries.{t}", request.request_id, pb.CreateSeriesResponse, create)
        except UnicodeDecodeError as exc:
            raise InputError(f"bible.yaml is not UTF-8: {exc.reason} at byte {exc.start}") from exc
        except yaml.YAMLError as exc:
            raise InputError(f"template.yaml is not valid YAML: {exc}") from exc

    async def UploadObject(
        self, request_iterator: AsyncIterator[pb.UploadObjectRequest], context: grpc.aio.ServicerContext
    ) -> pb.UploadObjectResponse:
        t = tenant()
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("header"):
            raise InputError("the first message of an upload is its header")
        header = first.header
        bible = await self._bible(t, header.series_id)
        target = target_of(bible, t, header, self.limits)

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                if not message.HasField("chunk"):
                    raise InputError("after the header, an upload sends only chunks")
                yield message.chunk

        async def upload() -> pb.UploadObjectResponse:
            with tempfile.TemporaryDirectory(prefix="md-upload-") as tmp:
                path = Path(tmp) / ("upload" + PurePosixPath(header.name).suffix.lower())
                await receive(chunks(), path, header, target)
                await asyncio.to_thread(target.check, path)
                info = await asyncio.to_thread(self.store.put_file, target.key, path)
            return pb.UploadObjectResponse(object_key=info.key, sha256=info.sha256, size=info.size)

        return await self.requests.once(f"UploadObject.{t}", header.request_id, pb.UploadObjectResponse, upload)

    async def SubmitEpisode(
        self, request: pb.SubmitEpisodeRequest, context: grpc.aio.ServicerContext
    ) -> pb.SubmitEpisodeResponse:
        t = tenant()
        bible = await self._episode_bible(t, request.series_id, request.episode_id)

        async def submit() -> pb.SubmitEpisodeResponse:
            ref = EpisodeRef(tenant_id=t, series_id=bible.id, episode_id=request.episode_id)
            missing = await asyncio.to_thread(_missing, self.store, t, bible, [ref.episode_id])
            if missing:
                raise Conflict(f"not uploaded yet: {', '.join(missing)}")
            series_ev, episode_ev = await asyncio.to_thread(self._events, bible, ref)
            await self.ctx.bus.publish(series_ev)
            await self.ctx.bus.publish(episode_ev)
            # The view shows the submission at once, before the projection consumer sees the event.
            doc = await self.status.aupdate(
                status_key(t, bible.id, ref.episode_id), lambda d: apply_event(d, episode_ev)
            )
            episode = episode_message(bible.id, ref.episode_id, doc)
            return pb.SubmitEpisodeResponse(operation=pb.Operation(name=episode.operation, done=False, episode=episode))

        return await self.requests.once(f"SubmitEpisode.{t}", request.request_id, pb.SubmitEpisodeResponse, submit)

    def _events(self, bible: Bible, ref: EpisodeRef) -> tuple[Event, Event]:
        t = ref.tenant_id
        keys = [bible_key(t, bible.id)]
        keys += [
            reference_key(t, bible.id, c.id, i, PurePosixPath(r).suffix.lower())
            for c in bible.characters
            for i, r in enumerate(c.references)
        ]
        if self.store.exists(template_key(t, bible.id)):
            keys.append(template_key(t, bible.id))
        shas = [self.store.info(k).sha256 for k in keys]
        takes_prefix = episode_prefix(ref, "uploads") + "/"
        takes = {PurePosixPath(k).stem: k for k in self.store.list(takes_prefix)}
        episode_shas = [self.store.info(script_key(ref)).sha256] + [self.store.info(k).sha256 for k in takes.values()]
        return (
            series_event(t, bible.id, content_digest(*shas)),
            episode_event(ref, takes, content_digest(*shas, *episode_shas)),
        )

    async def ApproveEpisode(
        self, request: pb.ApproveEpisodeRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApproveEpisodeResponse:
        t = tenant()
        await self._episode_bible(t, request.series_id, request.episode_id)

        async def approve() -> pb.ApproveEpisodeResponse:
            key = status_key(t, request.series_id, request.episode_id)
            doc = await self.status.get(key) or {}
            if doc.get("state") != "qc_failed":
                raise Conflict(
                    f"only an episode whose QC failed can be approved; it is {doc.get('state', 'unsubmitted')}"
                )
            ref = EpisodeRef(tenant_id=t, series_id=request.series_id, episode_id=request.episode_id)
            payload = EpisodeApproved(
                episode=ref,
                media=ParseDict(doc.get("media", {}), EpisodeMedia()),
                report_key=doc.get("qc_report_key", ""),
                note=request.note,
            )
            event = new_event(EPISODE_APPROVED, payload, tenant=t, key=doc.get("submission", ""))
            await self.ctx.bus.publish(event)
            doc = await self.status.aupdate(key, lambda d: apply_event(d, event))
            return pb.ApproveEpisodeResponse(episode=episode_message(request.series_id, request.episode_id, doc))

        return await self.requests.once(f"ApproveEpisode.{t}", request.request_id, pb.ApproveEpisodeResponse, approve)

    async def _episode(self, t: str, series_id: str, episode_id: str) -> pb.Episode:
        await self._episode_bible(t, series_id, episode_id)
        return episode_message(series_id, episode_id, await self.status.get(status_key(t, series_id, episode_id)))

    async def GetOperation(
        self, request: pb.GetOperationRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetOperationResponse:
        parts = request.name.split("/")
        if len(parts) != 4 or parts[0] != "operations":
            raise InputError("an operation name is operations/<series>/<episode>/<submission>")
        episode = await self._episode(tenant(), parts[1], parts[2])
        if episode.operation != request.name:
            raise NotFound(f"operation {request.name!r} not found (a later submission may have replaced it)")
        done = episode.state in _FINAL
        return pb.GetOperationResponse(operation=pb.Operation(name=request.name, done=done, episode=episode))

    async def GetEpisode(
        self, request: pb.GetEpisodeRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetEpisodeResponse:
        return pb.GetEpisodeResponse(episode=await self._episode(tenant(), request.series_id, request.episode_id))

    async def ListSeries(
        self, request: pb.ListSeriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSeriesResponse:
        t = tenant()
        series = []
        for series_id in await self.series.list(t):
            series.append(await self._series_message(t, await self._bible(t, series_id)))
        return pb.ListSeriesResponse(series=series)

    async def ListEpisodes(
        self, request: pb.ListEpisodesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListEpisodesResponse:
        t = tenant()
        series = await self._series_message(t, await self._bible(t, request.series_id))
        return pb.ListEpisodesResponse(episodes=series.episodes)

    async def WatchEpisode(
        self, request: pb.WatchEpisodeRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchEpisodeResponse]:
        t = tenant()
        current = await self._episode(t, request.series_id, request.episode_id)
        yield pb.WatchEpisodeResponse(episode=current)
        if current.state in _FINAL:
            return
        async for doc in self.status.changes(status_key(t, request.series_id, request.episode_id)):
            episode = episode_message(request.series_id, request.episode_id, doc)
            if episode == current:
                continue
            current = episode
            yield pb.WatchEpisodeResponse(episode=episode)
            if episode.state in _FINAL:
                return

    async def ListDeliverables(
        self, request: pb.ListDeliverablesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListDeliverablesResponse:
        t = tenant()
        await self._episode_bible(t, request.series_id, request.episode_id)
        ttl = request.url_ttl_seconds or DEFAULT_URL_TTL_S
        if not 1 <= ttl <= MAX_URL_TTL_S:
            raise InputError(f"url_ttl_seconds must be between 1 and {MAX_URL_TTL_S}")
        doc = await self.status.get(status_key(t, request.series_id, request.episode_id)) or {}
        return pb.ListDeliverablesResponse(
            deliverables=await asyncio.to_thread(_deliverables, self.store, doc.get("deliverables", []), ttl)
        )


def _deliverables(store: ObjectStore, packages: list[dict[str, str]], ttl_s: int) -> list[pb.Deliverable]:
    out = []
    for package in packages:
        prefix = package["manifest_key"].rsplit("/", 1)[0]
        manifest = store.get_json(package["manifest_key"])
        for entry in [*manifest["files"], {"name": "manifest.json"}]:
            key = f"{prefix}/{entry['name']}"
            info = store.info(key)
            out.append(
                pb.Deliverable(
                    profile=package["profile"],
                    object_key=key,
                    size=info.size,
                    sha256=info.sha256,
                    download_url=store.download_url(key, ttl_s),
                )
            )
    return out
