"""Audio as float32 NumPy arrays (samples, channels) in WAV files."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from scipy.io import wavfile

from microdrama.errors import MediaError

SAMPLE_RATE = 48_000


def write_wav(path: Path | str, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    data = np.asarray(samples, dtype=np.float32)
    wavfile.write(str(path), sample_rate, data)


def read_wav(path: Path | str) -> tuple[np.ndarray, int]:
    """Return (samples as float32 (n, channels), sample_rate)."""
    rate, data = wavfile.read(str(path))
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    return data, int(rate)


def read_audio_stream(path: Path | str, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a media file's first audio stream to float32 stereo (n, 2) at sample_rate."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MediaError("no audio stream", file=str(path))
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=sample_rate)
            chunks: list[np.ndarray] = []
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
    except av.FFmpegError as exc:
        raise MediaError(f"audio cannot be decoded ({exc})", file=str(path)) from exc
    if not chunks:
        return np.zeros((0, 2), np.float32)
    return np.concatenate(chunks, axis=1).T.astype(np.float32)
