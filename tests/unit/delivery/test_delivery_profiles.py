from __future__ import annotations

import pytest

from microdrama.delivery.profiles import get_profile, profile_names
from microdrama.errors import InputError


def test_app_profile_is_1080p30_h264_at_minus_14_lufs() -> None:
    app = get_profile("app-1080p-h264")
    assert (app.width, app.height, app.fps, app.video_codec) == (1080, 1920, 30, "libx264")
    assert (app.loudness_lufs, app.true_peak_dbtp, app.audio_codec, app.audio_bitrate) == (-14.0, -1.0, "aac", 192_000)


def test_master_profile_copies_the_master_at_its_own_rate() -> None:
    master = get_profile("master-2160p-h264")
    assert master.copies_video and master.fps is None and (master.width, master.height) == (2160, 3840)


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(InputError) as err:
        get_profile("tiktok-8k")
    for name in profile_names():
        assert name in str(err.value)
    assert "review-540p-h264" in profile_names()
