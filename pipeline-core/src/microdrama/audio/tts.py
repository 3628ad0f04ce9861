"""Offline text-to-speech through the espeak-ng library shipped by the espeakng-loader wheel."""

from __future__ import annotations

import _ctypes
import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from math import gcd
from pathlib import Path

import espeakng_loader
import numpy as np
from scipy.signal import resample_poly

from microdrama.audio.timestretch import time_stretch
from microdrama.domain.bible import Voice
from microdrama.errors import InputError
from microdrama.logs import get_logger

log = get_logger(__name__)

# espeak-ng API constants (speak_lib.h).
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_EE_OK = 0
_RAND_SEED = 1

_MAX_RATE_WPM = 450  # espeak-ng's own ceiling without its sonic speed-up
_FIT_RATE_STEP = 1.08
_FIT_MAX_SPEEDUP = 1.45  # beyond this a voice stops sounding like itself
_SILENCE_DB = -40.0  # below the line's peak
_EDGE_PAD_S = 0.02

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _EspeakVoice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class EspeakTTS:
    """espeak-ng speech as float32 mono at `sample_rate`.

    espeak-ng keeps its state in process globals, carries synthesis state from one
    utterance to the next (pitch flutter, wave phase) and seeds its noise from the
    clock, so a line would sound different depending on what was spoken before and
    when. Each synthesis therefore loads a pristine copy of the library (about 1 ms),
    fixes the noise seed, and unloads the library afterwards. Create one
    instance per process and share it; its lock serialises callers across threads.
    """

    def __init__(self, sample_rate: int = 48_000, library_path: str | None = None, data_path: str | None = None):
        self.sample_rate = sample_rate
        self._library_path = library_path or espeakng_loader.get_library_path()
        self._data_path = Path(data_path or espeakng_loader.get_data_path())
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        # Held on the instance so the C callback outlives every synthesis.
        self._callback = _SynthCallback(self._collect)
        self._native_rate = 0
        with self._lock, self._library() as lib:
            self._voices = self._list_voices(lib)
        self._variants = {p.name for p in (self._data_path / "voices" / "!v").iterdir()}

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        if wav and count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    @contextmanager
    def _library(self) -> Iterator[ctypes.CDLL]:
        lib = ctypes.CDLL(self._library_path)
        try:
            self._native_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, str(self._data_path).encode(), 0)
            if self._native_rate <= 0:
                raise RuntimeError(f"espeak-ng did not initialise with data at {self._data_path}")
            # Initialise seeds espeak's noise generator (breathy voices) from the clock.
            lib.espeak_ng_SetRandSeed(ctypes.c_long(_RAND_SEED))
            lib.espeak_SetSynthCallback(self._callback)
            lib.espeak_Synth.argtypes = [
                ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
            ]  # fmt: skip
            lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
            yield lib
        finally:
            lib.espeak_Terminate()
            _ctypes.dlclose(lib._handle)

    @staticmethod
    def _list_voices(lib: ctypes.CDLL) -> dict[str, str]:
        """Voice identifiers by lower-cased language, identifier and name (en-gb -> gmw/en)."""
        table: dict[str, str] = {}
        entries = lib.espeak_ListVoices(None)
        i = 0
        while entries[i]:
            v = entries[i].contents
            ident = v.identifier.decode()
            # `languages` starts with a priority byte before the first language code.
            for key in (v.languages[1:].decode(), ident, v.name.decode()):
                table.setdefault(key.lower(), ident)
            i += 1
        return table

    def _resolve(self, name: str) -> bytes:
        base, _, variant = name.partition("+")
        ident = self._voices.get(base.strip().lower())
        if ident is None:
            raise InputError(f"unknown TTS voice {name!r}: espeak-ng has no voice or language {base!r}")
        if variant and variant not in self._variants:
            raise InputError(f"unknown TTS voice {name!r}: espeak-ng has no variant {variant!r}")
        return f"{ident}+{variant}".encode() if variant else ident.encode()

    def check_voice(self, voice: Voice) -> None:
        """Raise InputError naming the voice if espeak-ng does not have it (validate a bible up front)."""
        self._resolve(voice.voice)

    def _render(self, text: str, voice: Voice, rate: int) -> np.ndarray:
        if not text.strip():
            raise InputError("a dialogue line has no text to speak")
        voice_id = self._resolve(voice.voice)
        encoded = text.encode("utf-8")
        with self._lock, self._library() as lib:
            self._chunks = []
            if lib.espeak_SetVoiceByName(voice_id) != _EE_OK:
                raise InputError(f"unknown TTS voice {voice.voice!r}: espeak-ng refused it")
            lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
            lib.espeak_SetParameter(_PARAM_PITCH, voice.pitch, 0)
            lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            lib.espeak_Synchronize()
            raw = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            native = self._native_rate
        g = gcd(self.sample_rate, native)
        audio = resample_poly(raw.astype(np.float64) / 32768.0, self.sample_rate // g, native // g)
        return _trim_silence(audio, self.sample_rate).astype(np.float32)

    def synthesize(self, text: str, voice: Voice) -> np.ndarray:
        """Speak `text` with `voice`: float32 mono, leading and trailing silence trimmed."""
        return self._render(text, voice, voice.rate)

    def synthesize_fit(self, text: str, voice: Voice, max_seconds: float) -> np.ndarray:
        """Speak `text` in at most `max_seconds`: faster speech first (bounded), time compression last."""
        if max_seconds <= 0:
            raise InputError(f"no time to speak {text!r}: its slot is {max_seconds:.3f} s")
        limit = int(max_seconds * self.sample_rate)
        rate = voice.rate
        top_rate = max(rate, min(_MAX_RATE_WPM, round(rate * _FIT_MAX_SPEEDUP)))
        audio = self._render(text, voice, rate)
        while audio.size > limit and rate < top_rate:
            rate = min(top_rate, round(rate * _FIT_RATE_STEP))
            audio = self._render(text, voice, rate)
        if audio.size > limit:
            ratio = limit / audio.size
            log.warning("tts_time_compressed", text=text, rate_wpm=rate, ratio=round(ratio, 3))
            audio = time_stretch(audio, ratio, self.sample_rate)
        return audio


def _trim_silence(audio: np.ndarray, sr: int) -> np.ndarray:
    peak = float(np.abs(audio).max(initial=0.0))
    if peak == 0.0:
        return audio[:0]
    loud = np.flatnonzero(np.abs(audio) >= peak * 10.0 ** (_SILENCE_DB / 20.0))
    pad = int(_EDGE_PAD_S * sr)
    return audio[max(0, loud[0] - pad) : loud[-1] + pad + 1]
