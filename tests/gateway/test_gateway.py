"""The partner API over TLS: submitting, tenant isolation, bad requests, and the stage API over mutual TLS."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import nats
import pytest
import yaml

from md.common.v1.refs_pb2 import EpisodeRef
from md.episode.v1.events_pb2 import EpisodeScripted, EpisodeSubmitted
from md.stage.v1 import stage_pb2, stage_pb2_grpc
from md.studio.v1 import studio_pb2 as pb
from md.studio.v1 import studio_pb2_grpc as pb_grpc
from microdrama.layout import bible_key, script_key
from microdrama.runtime.tls import channel_credentials
from tests.conftest import REPO
from tests.gateway.conftest import ADMIN_KEY, ALPHA_KEY, Cluster

EXAMPLE = REPO / "examples" / "the-last-heir"


def cli(cluster: Cluster, *args: str, key: str = ALPHA_KEY) -> subprocess.CompletedProcess[str]:
    env_args = ["--gateway", cluster.gateway.address, "--tls-ca", str(cluster.tls.ca)]
    key_flag = "--admin-key" if args[0] == "admin" else "--api-key"
    return subprocess.run(
        [sys.executable, "-m", "microdrama.cli", *args, *env_args, key_flag, key],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture(scope="module")
def studio(cluster: Cluster) -> Iterator[pb_grpc.StudioServiceStub]:
    with grpc.secure_channel(cluster.gateway.address, channel_credentials(cluster.tls.ca)) as channel:
        yield pb_grpc.StudioServiceStub(channel)


def auth(key: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {key}")]


def code_of(call: Any, *args: Any, **kwargs: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(*args, **kwargs)
    return err.value.code(), err.value.details()


@pytest.fixture(scope="module")
def alpha_submitted(cluster: Cluster) -> str:
    """Tenant alpha sends the sample series and submits ep01 (only the script stage runs here)."""
    run = cli(cluster, "submit", str(EXAMPLE), "--episodes", "ep01")
    assert run.returncode == 0, run.stderr + run.stdout
    match = re.search(r"operations/the-last-heir/ep01/\w+", run.stdout)
    assert match, run.stdout
    return match.group(0)


def test_submit_uploads_the_series_and_status_lists_it(cluster: Cluster, alpha_submitted: str) -> None:
    listing = cli(cluster, "status", "--json")
    assert listing.returncode == 0, listing.stderr
    series = json.loads(listing.stdout)
    assert [s["id"] for s in series] == ["the-last-heir"]
    states = {e["id"]: e["state"] for e in series[0]["episodes"]}
    # The script service runs beside the gateway: ep01 may have moved on to scripted already.
    assert states["ep02"] == "unsubmitted" and states["ep01"] in ("submitted", "scripted")
    one = cli(cluster, "status", "--episode", "nosuch")
    assert one.returncode == 1 and "not found" in one.stdout


async def _submitted_events(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().stream_info("MD_EPISODE", subjects_filter="md.episode.v1.submitted")
        return sum((info.state.subjects or {}).values())
    finally:
        await nc.close()


def test_repeating_a_submission_creates_nothing_new(cluster: Cluster, alpha_submitted: str) -> None:
    import asyncio

    before = asyncio.run(_submitted_events(cluster.nats_url))
    again = cli(cluster, "submit", str(EXAMPLE), "--episodes", "ep01")
    assert again.returncode == 0, again.stderr
    assert alpha_submitted in again.stdout
    assert asyncio.run(_submitted_events(cluster.nats_url)) == before == 1


def test_another_tenant_sees_nothing_of_alpha(
    cluster: Cluster, studio: pb_grpc.StudioServiceStub, alpha_submitted: str
) -> None:
    created = cli(cluster, "admin", "create-tenant", "beta", key=ADMIN_KEY)
    assert created.returncode == 0, created.stderr + created.stdout
    beta = created.stdout.strip().splitlines()[-1].strip()
    md = auth(beta)
    assert list(studio.ListSeries(pb.ListSeriesRequest(), metadata=md, timeout=10).series) == []

    def answers(series_id: str) -> list[tuple[grpc.StatusCode, str]]:
        calls = [
            (studio.GetEpisode, pb.GetEpisodeRequest(series_id=series_id, episode_id="ep01")),
            (studio.ListEpisodes, pb.ListEpisodesRequest(series_id=series_id)),
            (studio.ListDeliverables, pb.ListDeliverablesRequest(series_id=series_id, episode_id="ep01")),
            (studio.SubmitEpisode, pb.SubmitEpisodeRequest(request_id="r1", series_id=series_id, episode_id="ep01")),
            (studio.ApproveEpisode, pb.ApproveEpisodeRequest(request_id="r2", series_id=series_id, episode_id="ep01")),
            (studio.GetOperation, pb.GetOperationRequest(name=alpha_submitted.replace("the-last-heir", series_id))),
        ]
        out = [code_of(call, req, metadata=md, timeout=10) for call, req in calls]
        watch = studio.WatchEpisode(
            pb.WatchEpisodeRequest(series_id=series_id, episode_id="ep01"), metadata=md, timeout=10
        )
        out.append(code_of(lambda: next(watch)))
        return [(code, details.replace(series_id, "<id>")) for code, details in out]

    # Alpha's series answers exactly as a series that exists nowhere.
    assert answers("the-last-heir") == answers("no-such-series")
    assert all(code == grpc.StatusCode.NOT_FOUND for code, _ in answers("the-last-heir"))

    # Beta's own series of the same id is its own; alpha's is untouched.
    bible = (EXAMPLE / "bible.yaml").read_bytes()
    mine = studio.CreateSeries(pb.CreateSeriesRequest(request_id="b1", bible_yaml=bible), metadata=md, timeout=10)
    assert [e.state for e in mine.series.episodes] == [pb.EPISODE_STATE_UNSPECIFIED] * 2
    alpha = studio.GetEpisode(
        pb.GetEpisodeRequest(series_id="the-last-heir", episode_id="ep01"), metadata=auth(ALPHA_KEY), timeout=10
    )
    assert alpha.episode.state in (pb.EPISODE_STATE_SUBMITTED, pb.EPISODE_STATE_SCRIPTED)


def test_bad_requests_get_a_clear_status_and_store_nothing(
    cluster: Cluster, studio: pb_grpc.StudioServiceStub, alpha_submitted: str
) -> None:
    get = pb.GetEpisodeRequest(series_id="the-last-heir", episode_id="ep01")
    assert code_of(studio.GetEpisode, get, timeout=10)[0] == grpc.StatusCode.UNAUTHENTICATED
    code, details = code_of(studio.GetEpisode, get, metadata=auth("md_wrong"), timeout=10)
    assert code == grpc.StatusCode.UNAUTHENTICATED and "not valid" in details
    code, details = code_of(studio.GetEpisode, get, metadata=auth(ALPHA_KEY))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "deadline" in details
    bad_id = pb.GetEpisodeRequest(series_id="../other-tenant", episode_id="ep01")
    code, details = code_of(studio.GetEpisode, bad_id, metadata=auth(ALPHA_KEY), timeout=10)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "not a valid id" in details
    huge = pb.CreateSeriesRequest(request_id="big", bible_yaml=b"#" * (2 * 1024 * 1024))
    assert (
        code_of(studio.CreateSeries, huge, metadata=auth(ALPHA_KEY), timeout=10)[0]
        == grpc.StatusCode.RESOURCE_EXHAUSTED
    )
    no_id = pb.CreateSeriesRequest(bible_yaml=(EXAMPLE / "bible.yaml").read_bytes())
    code, details = code_of(studio.CreateSeries, no_id, metadata=auth(ALPHA_KEY), timeout=10)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "request_id" in details
    admin = pb_grpc.AdminServiceStub(grpc.secure_channel(cluster.gateway.address, channel_credentials(cluster.tls.ca)))
    code, _ = code_of(
        admin.CreateTenant, pb.CreateTenantRequest(request_id="x", name="evil"), metadata=auth(ALPHA_KEY), timeout=10
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED

    # A series of its own, so its missing files are known exactly; an upload with a wrong checksum stores nothing.
    bible = yaml.safe_load((EXAMPLE / "bible.yaml").read_text())
    bible["id"] = "checksums"
    created = studio.CreateSeries(
        pb.CreateSeriesRequest(request_id="c1", bible_yaml=yaml.safe_dump(bible).encode()),
        metadata=auth(ALPHA_KEY),
        timeout=10,
    )
    reference = bible["characters"][0]["references"][0]
    data = (EXAMPLE / reference).read_bytes()
    header = pb.UploadHeader(
        request_id="u1",
        series_id="checksums",
        kind=pb.OBJECT_KIND_REFERENCE,
        name=reference,
        sha256=hashlib.sha256(b"something else").hexdigest(),
        size=len(data),
    )
    parts = iter([pb.UploadObjectRequest(header=header), pb.UploadObjectRequest(chunk=data)])
    code, details = code_of(studio.UploadObject, parts, metadata=auth(ALPHA_KEY), timeout=10)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "sha256" in details and reference in details
    listed = {s.id: s for s in studio.ListSeries(pb.ListSeriesRequest(), metadata=auth(ALPHA_KEY), timeout=10).series}
    assert reference in listed["checksums"].missing_files
    assert list(listed["checksums"].missing_files) == list(created.series.missing_files)

    # A client that does not speak TLS gets nowhere.
    with grpc.insecure_channel(cluster.gateway.address) as plain:
        code, _ = code_of(pb_grpc.StudioServiceStub(plain).GetEpisode, get, metadata=auth(ALPHA_KEY), timeout=5)
    assert code == grpc.StatusCode.UNAVAILABLE


def test_calls_are_counted_in_metrics(cluster: Cluster, studio: pb_grpc.StudioServiceStub) -> None:
    code_of(studio.ListSeries, pb.ListSeriesRequest(), metadata=auth("md_wrong"), timeout=10)
    text = urllib.request.urlopen(f"http://{cluster.gateway.metrics}/metrics", timeout=10).read().decode()
    assert re.search(
        r'md_grpc_calls_total\{code="UNAUTHENTICATED",method="/md.studio.v1.StudioService/ListSeries"\} [1-9]', text
    )


def test_stage_api_needs_a_client_certificate_and_runs_the_stage(cluster: Cluster, alpha_submitted: str) -> None:
    tls = cluster.tls
    with grpc.secure_channel(cluster.script.address, channel_credentials(tls.ca)) as anonymous:
        code, _ = code_of(
            stage_pb2_grpc.StageServiceStub(anonymous).ListInputs, stage_pb2.ListInputsRequest(), timeout=5
        )
    assert code == grpc.StatusCode.UNAVAILABLE
    with grpc.secure_channel(
        cluster.script.address, channel_credentials(tls.ca, tls.client_cert, tls.client_key)
    ) as ch:
        stage = stage_pb2_grpc.StageServiceStub(ch)
        inputs = stage.ListInputs(stage_pb2.ListInputsRequest(), timeout=10)
        assert [(i.subject, i.payload_type) for i in inputs.inputs] == [
            ("md.episode.v1.submitted", "md.episode.v1.EpisodeSubmitted")
        ]
        ref = EpisodeRef(tenant_id="alpha", series_id="the-last-heir", episode_id="ep01")
        payload = EpisodeSubmitted(
            episode=ref, script_key=script_key(ref), bible_key=bible_key("alpha", "the-last-heir")
        )
        run = stage.Run(
            stage_pb2.RunRequest(
                request_id="s1", subject="md.episode.v1.submitted", payload=payload.SerializeToString()
            ),
            timeout=60,
        )
        (out,) = run.events
        scripted = EpisodeScripted.FromString(out.payload)
        assert out.subject == "md.episode.v1.scripted" and scripted.shot_count >= 5
        code, details = code_of(
            stage.Run, stage_pb2.RunRequest(request_id="s2", subject="md.episode.v1.mixed", payload=b""), timeout=10
        )
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "ListInputs" in details


def test_operations_and_approval_follow_the_episode(studio: pb_grpc.StudioServiceStub, alpha_submitted: str) -> None:
    md = auth(ALPHA_KEY)
    op = studio.GetOperation(pb.GetOperationRequest(name=alpha_submitted), metadata=md, timeout=10).operation
    assert op.name == alpha_submitted and not op.done and op.episode.id == "ep01"
    # Only a person's decision on a failed QC sends an episode on: this one has not even been through QC.
    approve = pb.ApproveEpisodeRequest(request_id="a1", series_id="the-last-heir", episode_id="ep01", note="ok by J.")
    code, details = code_of(studio.ApproveEpisode, approve, metadata=md, timeout=10)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "only an episode whose QC failed" in details
