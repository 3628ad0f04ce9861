"""A partner drives an episode end to end over gRPC on the local stack and downloads what was delivered."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import urllib.request
from pathlib import Path

import grpc
import pytest

from md.studio.v1 import studio_pb2 as pb
from md.studio.v1 import studio_pb2_grpc as pb_grpc
from microdrama.media.probe import probe_video
from tests.conftest import REPO
from tests.stack.conftest import PROFILE, Stack, delivered

pytestmark = pytest.mark.e2e


def test_submit_over_grpc_is_delivered_and_downloadable(
    stack: Stack, series: Path, calm: dict[str, object], tmp_path: Path
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "microdrama.cli", "submit", str(series), "--wait"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "MD_GATEWAY": stack.state.gateway, "MD_API_KEY": stack.api_key},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "delivered" in run.stdout

    with grpc.insecure_channel(stack.state.gateway) as channel:
        studio = pb_grpc.StudioServiceStub(channel)
        listing = studio.ListDeliverables(
            pb.ListDeliverablesRequest(series_id="tiny", episode_id="ep01", url_ttl_seconds=600),
            metadata=[("authorization", f"Bearer {stack.api_key}")],
            timeout=30,
        )
    videos = [d for d in listing.deliverables if d.object_key.endswith(".mp4")]
    assert [d.profile for d in videos] == [PROFILE]
    video = videos[0]
    assert video.download_url.startswith("http://") and "X-Amz-Signature" in video.download_url
    # The presigned URL needs no credential: a plain HTTP GET, as a partner's CDN would make.
    path = tmp_path / "episode.mp4"
    with urllib.request.urlopen(video.download_url, timeout=60) as response:
        path.write_bytes(response.read())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == video.sha256 and path.stat().st_size == video.size
    assert probe_video(path).height > probe_video(path).width  # a 9:16 episode
    # The same series, sent over the network, delivers the bytes the undisturbed direct submission did.
    assert digest == delivered(stack, calm)[video.object_key.rsplit("/", 1)[1]]
