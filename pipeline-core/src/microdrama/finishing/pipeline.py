"""Finish an episode: every shot through each stage in turn, then one master joined without re-encoding.

Stage by stage across the batch (all analysed, all deflickered, all graded, all probed
for detail, all mastered) so each stage is set up once per worker and every shot gets the
same settings. Every output key is derived from the content it depends on (input hashes,
template sections, the reference shot, the sharpening amount), so a re-run finds its
outputs and redoes nothing.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from microdrama.errors import InputError
from microdrama.finishing.measure import ShotStats
from microdrama.finishing.stages.analysis import AnalysisStage
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory
from microdrama.finishing.stages.deflicker import DeflickerItem, DeflickerStage
from microdrama.finishing.stages.detail import DetailCurve, DetailItem, DetailStage, match_amounts
from microdrama.finishing.stages.grade import GradeItem, GradeStage, LabProfile, pick_reference
from microdrama.finishing.stages.master import MasterItem, MasterStage
from microdrama.finishing.template import FinishingTemplate, canonical_json, template_hash
from microdrama.keys import KeyError_, check_key
from microdrama.logs import get_logger
from microdrama.media.mux import concat_videos
from microdrama.runtime.stages import StageFactory, StageRunner
from microdrama.store.base import ObjectNotFound, ObjectStore

EpisodeProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FinishResult:
    master_key: str
    shot_keys: dict[str, str]
    reference_shot: str | None
    template_hash: str
    report: dict[str, Any]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:20]


def _check_shots(shots: Sequence[tuple[str, str]], prefix: str) -> None:
    if not shots:
        raise InputError("an episode needs at least one shot to finish")
    seen: set[str] = set()
    for shot_id, _ in shots:
        if shot_id in seen:
            raise InputError(f"shot id {shot_id!r} appears twice in the edit")
        seen.add(shot_id)
        try:
            check_key(f"{prefix}/check/{shot_id}")
        except KeyError_ as exc:
            raise InputError(f"shot id {shot_id!r} cannot name an object ({exc})") from exc


def _content(store: ObjectStore, key: str) -> str:
    try:
        return store.info(key).sha256
    except ObjectNotFound as exc:
        raise InputError("raw take not found in the store", file=key) from exc


def _reference(choice: str, profiles: dict[str, LabProfile]) -> str:
    if choice == "auto":
        return pick_reference(profiles)
    if choice not in profiles:
        raise InputError(f"grade.reference names shot {choice!r}, which is not in this episode")
    return choice


def _join(store: ObjectStore, keys: Sequence[str], dest: str) -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="md-master-") as tmp:
        parts = [stack.enter_context(store.local_path(key, ".mp4")) for key in keys]
        out = Path(tmp) / "master.mp4"
        concat_videos(parts, out)
        store.put_file(dest, out)


class _Episode:
    """One finishing run: each shot's current picture and identity, and the stages run so far."""

    def __init__(
        self,
        shots: Sequence[tuple[str, str]],
        template: FinishingTemplate,
        runner: StageRunner,
        store_factory: StoreFactory,
        prefix: str,
        progress: EpisodeProgress | None,
    ) -> None:
        self.template, self.runner, self.store_factory = template, runner, store_factory
        self.prefix, self.progress = prefix, progress
        self.store = store_factory()
        self.ids = [shot_id for shot_id, _ in shots]
        self.timings: dict[str, dict[str, float]] = {}
        # ident: what identifies each shot's current picture: the raw take's hash, then each output's key.
        self.ident = {shot_id: _content(self.store, key) for shot_id, key in shots}
        items = [ShotItem(sid, key, self._key("analysis", sid, self.ident[sid]) + ".json") for sid, key in shots]
        stats = self._run("analysis", partial(AnalysisStage, store_factory), items, ShotStats.from_json)
        self.raw: dict[str, ShotStats] = dict(zip(self.ids, stats, strict=True))
        self.state = {sid: Rendered(key=key, stats=self.raw[sid]) for sid, key in shots}

    def _key(self, stage: str, shot_id: str, *inputs: str) -> str:
        """Base key (no extension) of a shot's output from `stage`, named by everything it depends on."""
        return f"{self.prefix}/{stage}/{shot_id}-{_digest(stage, *inputs)}"

    def _run(
        self, name: str, factory: StageFactory, items: Sequence[ShotItem], load: Callable[[Any], Any]
    ) -> list[Any]:
        """Run a stage over the shots whose result record is not in the store yet; load the others."""
        started = time.perf_counter()
        results: list[Any] = [None] * len(items)
        pending = []
        for index, item in enumerate(items):
            if self.store.exists(item.result_key):
                results[index] = load(self.store.get_json(item.result_key))
            else:
                pending.append(index)
        reused, total = len(items) - len(pending), len(items)
        report = self.progress
        if report and reused:
            report(name, reused, total)
        if pending:
            done = self.runner.map(
                factory,
                [items[i] for i in pending],
                (lambda d, _n: report(name, reused + d, total)) if report else None,
            )
            for index, result in zip(pending, done, strict=True):
                results[index] = result
        self.timings[name] = {
            "seconds": round(time.perf_counter() - started, 3),
            "processed": len(pending),
            "reused": reused,
        }
        return results

    def _advance(self, name: str, factory: StageFactory, items: Sequence[ShotItem]) -> None:
        rendered = self._run(name, factory, items, Rendered.from_json)
        self.state = dict(zip(self.ids, rendered, strict=True))
        self.ident = {sid: self.state[sid].key for sid in self.ids}

    def deflicker(self) -> None:
        settings = self.template.deflicker
        items = []
        for sid in self.ids:
            base = self._key("deflicker", sid, self.ident[sid], canonical_json(settings))
            items.append(DeflickerItem(sid, self.state[sid].key, base + ".json", base + ".mkv", self.state[sid].stats))
        self._advance("deflicker", partial(DeflickerStage, self.store_factory, settings), items)

    def grade(self) -> str:
        settings = self.template.grade
        profiles = {sid: LabProfile.of(self.state[sid].stats) for sid in self.ids}
        reference = _reference(settings.reference, profiles)
        items = []
        for sid in self.ids:
            base = self._key("grade", sid, self.ident[sid], self.ident[reference], canonical_json(settings))
            items.append(
                GradeItem(sid, self.state[sid].key, base + ".json", base + ".mkv", profiles[sid], profiles[reference])
            )
        self._advance("grade", partial(GradeStage, self.store_factory, settings.strength), items)
        return reference

    def match_detail(self) -> tuple[float, dict[str, float]]:
        settings = self.template.upscale
        items = [
            DetailItem(
                sid,
                self.state[sid].key,
                self._key("detail", sid, self.ident[sid], canonical_json(settings)) + ".json",
                self.state[sid].stats.frames,
            )
            for sid in self.ids
        ]
        curves = self._run("detail", partial(DetailStage, self.store_factory, settings), items, DetailCurve.from_json)
        return match_amounts(dict(zip(self.ids, curves, strict=True)), settings.sharpen)

    def master(self, amounts: dict[str, float]) -> str:
        """Encode every shot at master size, then join them; returns the episode master's key."""
        upscale, encode = self.template.upscale, self.template.encode
        items = []
        for sid in self.ids:
            inputs = (self.ident[sid], canonical_json(upscale), canonical_json(encode), f"{amounts[sid]:.4f}")
            base = self._key("master", sid, *inputs)
            items.append(MasterItem(sid, self.state[sid].key, base + ".json", base + ".mp4", amounts[sid]))
        self._advance("master", partial(MasterStage, self.store_factory, upscale, encode), items)
        started = time.perf_counter()
        keys = [self.state[sid].key for sid in self.ids]
        master_key = f"{self.prefix}/master-{template_hash(self.template)[:12]}-{_digest('episode', *keys)}.mp4"
        if not self.store.exists(master_key):
            _join(self.store, keys, master_key)
        self.timings["join"] = {"seconds": round(time.perf_counter() - started, 3)}
        return master_key


def finish_episode(
    shots: list[tuple[str, str]],
    template: FinishingTemplate,
    *,
    runner: StageRunner,
    store_factory: StoreFactory,
    prefix: str,
    progress: EpisodeProgress | None = None,
) -> FinishResult:
    """Finish `shots` ((shot_id, raw take key) in edit order) into one master MP4 under `prefix`."""
    _check_shots(shots, prefix)
    t = template
    run = _Episode(shots, t, runner, store_factory, prefix, progress)
    if t.deflicker.enabled:
        run.deflicker()
    reference = run.grade() if t.grade.enabled else None
    target, amounts = (
        run.match_detail() if t.upscale.detail_match else (None, {sid: t.upscale.sharpen for sid in run.ids})
    )
    master_key = run.master(amounts)

    t_hash = template_hash(t)
    report = {
        "template": t.model_dump(mode="json"),
        "template_hash": t_hash,
        "master_key": master_key,
        "reference_shot": reference,
        "reference_auto": t.grade.reference == "auto",
        "detail_target": None if target is None else round(target, 4),
        "shots": [
            {
                "shot_id": sid,
                "raw_key": raw_key,
                "finished_key": run.state[sid].key,
                "sharpen": amounts[sid],
                "before": run.raw[sid].summary(),
                "after": run.state[sid].stats.summary(),
            }
            for sid, raw_key in shots
        ],
        "stages": run.timings,
    }
    get_logger(__name__).info("episode finished", master=master_key, shots=len(shots), reference=reference)
    return FinishResult(
        master_key=master_key,
        shot_keys={sid: run.state[sid].key for sid in run.ids},
        reference_shot=reference,
        template_hash=t_hash,
        report=report,
    )
