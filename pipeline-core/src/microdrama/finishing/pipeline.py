"""Finish an episode: every shot through each stage in turn, then one master joined without re-encoding.

Stage by stage across the batch: all analysed, all motion-repaired, all face-steadied, all
reframed (each writes a lossless intermediate only where it changes the picture); then the
decisions, locked across the episode: every shot's grade against the reference, every
shot's detail probed and its sharpening matched to the reference's; then the per-pixel work in one
fused pass per shot (grade, deflicker, sharpen, resample, encode: stages.master). Each stage
is set up once per worker and every shot gets the same settings. Every output key is derived from the
content it depends on (input hashes, template sections, the reference shot, the sharpening
amount), so a re-run finds its outputs and redoes nothing. A stage with nothing to do for a
shot (no judder, already the master's aspect) hands the shot on unchanged, keeping its identity.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

from microdrama.errors import InputError
from microdrama.finishing.intermediate import SUFFIX as LOSSLESS_SUFFIX
from microdrama.finishing.intermediate import UPSCALED_SUFFIX
from microdrama.finishing.measure import ShotStats
from microdrama.finishing.stages.analysis import Analysis, AnalysisItem, AnalysisStage
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory
from microdrama.finishing.stages.detail import DetailCurve, DetailItem, DetailStage, match_amounts
from microdrama.finishing.stages.face import (
    FacePassItem,
    FacePassStage,
    FaceScan,
    FaceScanItem,
    FaceScanStage,
    FaceSettings,
    face_look,
    reference_look,
)
from microdrama.finishing.stages.grade import (
    MAX_BRIDGES,
    Bridge,
    GradeDecision,
    GradeItem,
    GradeStage,
    LabProfile,
    matched_by,
    pick_reference,
)
from microdrama.finishing.stages.master import SUFFIX as MASTER_SUFFIX
from microdrama.finishing.stages.master import MasterItem, MasterStage
from microdrama.finishing.stages.model_upscale import ModelUpscaleItem, ModelUpscaleStage
from microdrama.finishing.stages.motion import MotionItem, MotionStage
from microdrama.finishing.stages.reframe import ReframeItem, ReframeStage
from microdrama.finishing.template import DeflickerSection, FinishingTemplate, canonical_json, template_hash
from microdrama.keys import KeyError_, check_key
from microdrama.logs import get_logger
from microdrama.media.mux import concat_videos
from microdrama.models.registry import models_dir
from microdrama.runtime.stages import StageFactory, StageRunner
from microdrama.store.base import ObjectNotFound, ObjectStore, sha256_file

EpisodeProgress = Callable[[str, int, int], None]
# Part of every stage key: bump it when a stored result record changes form or meaning (4: exact-colour
# decode; 5: detail curves add crispness; 6: deflicker cuts must last, a duplicate is rebuilt alone unless
# the content held, sharpening blurs in float; 7: a cast is read only from frame pairs one cast explains,
# above near-black; 8: a grade records the cast it measured, which bridges pass on; 9: a frame pair needs
# distinctive matches, a shot tries its MAX_BRIDGES nearest bridges; 10: sampled frames at least MIN_SAMPLE_GAP_S
# apart; 11: colour statistics on a grid of at most 240 rows; 12: shots sharpened, and their detail probed, at
# their own size before the upscale; 13: analysis records hold the shot's motion, measured on the decoder's luma,
# and a cast is read from half the frame pairs where enough of them share regions), so old records are not read.
RECORD_VERSION = "13"
# The order the stages run in; the grade and its retry run beside model-upscale and detail, and finish in either
# order, so the report lists the stages' timings in this one.
STAGE_ORDER = (
    "analysis",
    "motion",
    "face-scan",
    "face",
    "reframe",
    "grade",
    "grade-bridged",
    "model-upscale",
    "detail",
    "master",
    "join",
)


@dataclass(frozen=True)
class FinishResult:
    master_key: str
    shot_keys: dict[str, str]
    reference_shot: str | None
    template_hash: str
    report: dict[str, Any]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:20]


def canonical_dumps(value: Any) -> str:
    """A stable text form of a JSON-able value, for keys."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


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
    """The take's sha256: from the store's record, or read here for objects put there without one."""
    try:
        recorded = store.info(key).sha256
    except ObjectNotFound as exc:
        raise InputError("raw take not found in the store", file=key) from exc
    if recorded:
        return recorded
    with store.local_path(key) as path:
        return sha256_file(path)


def episode_rate(rates: Sequence[Fraction], wanted: Fraction | None) -> Fraction:
    """The template's rate, else the shots' most common rate (the earliest in the edit on a tie)."""
    if wanted is not None:
        return wanted
    counts = Counter(rates)
    return max(counts, key=lambda rate: (counts[rate], -rates.index(rate)))


def _profiles(state: dict[str, Rendered]) -> dict[str, LabProfile]:
    return {sid: LabProfile.of(shot.stats) for sid, shot in state.items()}


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
        motion = template.motion.enabled
        items = [
            AnalysisItem(sid, key, self._key("analysis", sid, self.ident[sid], str(motion)) + ".json", motion)
            for sid, key in shots
        ]
        analysed: list[Analysis] = self._run(
            "analysis", partial(AnalysisStage, store_factory), items, Analysis.from_json
        )
        self.raw: dict[str, ShotStats] = {sid: a.stats for sid, a in zip(self.ids, analysed, strict=True)}
        self.motion_profiles = {sid: a.motion for sid, a in zip(self.ids, analysed, strict=True)}
        self.state = {sid: Rendered(key=key, stats=self.raw[sid]) for sid, key in shots}

    def _key(self, stage: str, shot_id: str, *inputs: str) -> str:
        """Base key (no extension) of a shot's output from `stage`, named by everything it depends on."""
        return f"{self.prefix}/{stage}/{shot_id}-{_digest(stage, RECORD_VERSION, *inputs)}"

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
        before = self.state
        self.state = dict(zip(self.ids, rendered, strict=True))
        # A shot handed on unchanged keeps its identity (for a raw take, its content hash, not its key).
        self.ident = {
            sid: self.ident[sid] if self.state[sid].key == before[sid].key else self.state[sid].key for sid in self.ids
        }

    def motion(self) -> Fraction:
        """Repair judder and bring every shot to the episode's rate; returns that rate."""
        settings = self.template.motion
        rates = [self.state[sid].stats.fps for sid in self.ids]
        if not settings.enabled:
            if len(set(rates)) > 1:
                raise InputError(
                    f"shots have different frame rates ({', '.join(sorted(map(str, set(rates))))}) and motion is "
                    "disabled: enable motion (or set motion.fps) so they can be converted to one rate"
                )
            return rates[0]
        rate = episode_rate(rates, settings.rate)
        if not settings.repair_judder and all(r == rate for r in rates):
            return rate
        items = []
        for sid, shot_rate in zip(self.ids, rates, strict=True):
            target = None if shot_rate == rate else rate
            base = self._key("motion", sid, self.ident[sid], canonical_json(settings), str(target))
            profile = self.motion_profiles[sid]
            assert profile is not None  # analysed with motion whenever motion is enabled
            items.append(
                MotionItem(
                    sid,
                    self.state[sid].key,
                    base + ".json",
                    base + LOSSLESS_SUFFIX,
                    self.state[sid].stats,
                    profile,
                    target,
                    settings.repair_judder,
                )
            )
        self._advance("motion", partial(MotionStage, self.store_factory), items)
        return rate

    def faces(self) -> dict[str, FaceScan]:
        """Find and follow every shot's faces, then steady them; returns the scans (boxes for reframing)."""
        section = self.template.face
        settings = FaceSettings(**section.model_dump(exclude={"enabled"}))
        look = canonical_json(section)
        items = [
            FaceScanItem(
                sid,
                self.state[sid].key,
                self._key("face-scan", sid, self.ident[sid], look) + ".json",
                self.state[sid].stats.frames,
            )
            for sid in self.ids
        ]
        scans = dict(
            zip(
                self.ids,
                self._run("face-scan", partial(FaceScanStage, self.store_factory, settings), items, FaceScan.from_json),
                strict=True,
            )
        )
        looks = {sid: face_look(scan) for sid, scan in scans.items()}
        reference = reference_look(looks, None)
        ref_json = "none" if reference is None else canonical_dumps(reference.to_json())
        passes = []
        for sid in self.ids:
            base = self._key("face", sid, self.ident[sid], look, ref_json)
            passes.append(
                FacePassItem(
                    sid,
                    self.state[sid].key,
                    base + ".json",
                    base + LOSSLESS_SUFFIX,
                    self.state[sid].stats,
                    scans[sid],
                    reference,
                )
            )
        self._advance("face", partial(FacePassStage, self.store_factory, settings), passes)
        return scans

    def reframe(self, scans: dict[str, FaceScan]) -> None:
        settings, upscale = self.template.reframe, self.template.upscale
        aspect = Fraction(upscale.width, upscale.height)
        items = []
        for sid in self.ids:
            faces = scans[sid].per_frame() if sid in scans and scans[sid].tracks else None
            base = self._key(
                "reframe", sid, self.ident[sid], canonical_json(settings), str(aspect), canonical_dumps(faces)
            )
            items.append(
                ReframeItem(
                    sid,
                    self.state[sid].key,
                    base + ".json",
                    base + LOSSLESS_SUFFIX,
                    self.state[sid].stats,
                    aspect,
                    faces,
                )
            )
        self._advance("reframe", partial(ReframeStage, self.store_factory, settings), items)

    def reference(self, choice: str) -> str:
        """The shot whose look (colour, crispness) the others are matched to: `choice`, or picked when 'auto'."""
        return _reference(choice, _profiles(self.state))

    def grade(self, reference: str) -> tuple[dict[str, GradeDecision], frozenset[str]]:
        """Decide every shot's grade against the reference; returns the decisions and the shots decided through
        other shots.

        A shot that shares nothing with the reference (its decision fell back to Lab statistics) is decided
        again through the shots that do, by the casts they measured; only then does its decision, and its key,
        depend on them. The pictures graded are those of the call: stages run beside it (upscale, detail) move
        the episode on without them.
        """
        state, ident = self.state, self.ident  # stages replace these dicts, never change them
        settings, deflicker = self.template.grade, self._deflicker()
        profiles = _profiles(state)
        stage = partial(GradeStage, self.store_factory, settings)

        def item(sid: str, bridges: tuple[Bridge, ...]) -> GradeItem:
            inputs = (
                ident[sid],
                ident[reference],
                canonical_json(settings),
                canonical_dumps(None if deflicker is None else deflicker.model_dump(mode="json")),
                *(ident[bridge.shot_id] for bridge in bridges),
            )
            return GradeItem(
                sid,
                state[sid].key,
                self._key("grade-bridged" if bridges else "grade", sid, *inputs) + ".json",
                state[sid].stats,
                profiles[sid],
                profiles[reference],
                None if sid == reference else state[reference].key,
                state[reference].stats,
                deflicker,
                bridges,
            )

        items = [item(sid, ()) for sid in self.ids]
        decisions = dict(zip(self.ids, self._run("grade", stage, items, GradeDecision.from_json), strict=True))
        # Bridges: the shots whose cast onto the reference was read in shared regions.
        bridges = [
            Bridge(sid, state[sid].key, state[sid].stats, cast)
            for sid in self.ids
            if (cast := decisions[sid].cast) is not None
        ]
        # The shots that fell back to statistics try the nearest of those bridges in the edit, nearest first.
        retried = [sid for sid in self.ids if decisions[sid].lab is not None] if bridges else []
        if retried:
            position = {sid: index for index, sid in enumerate(self.ids)}
            retries = [
                item(sid, tuple(sorted(bridges, key=lambda b: abs(position[b.shot_id] - position[sid]))[:MAX_BRIDGES]))
                for sid in retried
            ]
            decisions.update(
                zip(retried, self._run("grade-bridged", stage, retries, GradeDecision.from_json), strict=True)
            )
        return decisions, frozenset(retried)

    def _deflicker(self) -> DeflickerSection | None:
        return self.template.deflicker if self.template.deflicker.enabled else None

    def model_upscale(self) -> None:
        """The template's learned upscaler takes every shot to master size (before detail matching)."""
        settings = self.template.upscale
        assert settings.model is not None
        inputs = canonical_dumps([settings.model.name, settings.model.weights_sha256, settings.model.tile])
        size = f"{settings.width}x{settings.height}-{settings.resampler}"
        items = []
        for sid in self.ids:
            base = self._key("model-upscale", sid, self.ident[sid], inputs, size)
            items.append(ModelUpscaleItem(sid, self.state[sid].key, base + ".json", base + UPSCALED_SUFFIX))
        self._advance("model-upscale", partial(ModelUpscaleStage, self.store_factory, settings, models_dir()), items)

    def match_detail(self, reference: str) -> tuple[float, dict[str, float]]:
        settings = self.template.upscale
        items = [
            DetailItem(
                sid,
                self.state[sid].key,
                self._key("detail", sid, self.ident[sid], canonical_json(settings)) + ".json",
                self.state[sid].stats,
            )
            for sid in self.ids
        ]
        curves = self._run("detail", partial(DetailStage, self.store_factory, settings), items, DetailCurve.from_json)
        return match_amounts(dict(zip(self.ids, curves, strict=True)), reference, settings.sharpen)

    def master(self, grades: dict[str, GradeDecision], amounts: dict[str, float]) -> str:
        """The fused pass (grade, deflicker, sharpen, resample, encode) on every shot, then the join;
        returns the episode master's key."""
        upscale, encode, deflicker = self.template.upscale, self.template.encode, self._deflicker()
        items = []
        for sid in self.ids:
            inputs = (
                self.ident[sid],
                canonical_json(upscale),
                canonical_json(encode),
                canonical_dumps(None if deflicker is None else deflicker.model_dump(mode="json")),
                canonical_dumps(grades[sid].to_json()),
                f"{amounts[sid]:.4f}",
            )
            base = self._key("master", sid, *inputs)
            items.append(
                MasterItem(
                    sid,
                    self.state[sid].key,
                    base + ".json",
                    base + MASTER_SUFFIX,
                    self.state[sid].stats,
                    deflicker,
                    grades[sid],
                    amounts[sid],
                )
            )
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
    reference: str | None = None,
) -> FinishResult:
    """Finish `shots` ((shot_id, raw take key) in edit order) into one master MP4 under `prefix`.

    `reference` names the shot the others are graded to, overriding the template's grade.reference.
    """
    _check_shots(shots, prefix)
    t = template
    choice = reference or t.grade.reference
    run = _Episode(shots, t, runner, store_factory, prefix, progress)
    rate = run.motion()
    run.reframe(run.faces() if t.face.enabled else {})
    picked = run.reference(choice) if t.grade.enabled or t.upscale.detail_match else None
    grades = {sid: GradeDecision() for sid in run.ids}
    bridged: frozenset[str] | None = None  # None: grade match is off
    # The grade is decided beside the upscale and detail stages: neither needs the other's result, and a
    # stage's last shots leave cores idle that the other fills.
    with ThreadPoolExecutor(1, thread_name_prefix="md-grade") as beside:
        graded = beside.submit(run.grade, picked) if picked and t.grade.enabled else None
        if t.upscale.model:
            # The learned upscaler works on content already fixed; grade and deflicker decisions apply in the master.
            run.model_upscale()
        target, amounts = (
            run.match_detail(picked)
            if picked and t.upscale.detail_match
            else (None, {sid: t.upscale.sharpen for sid in run.ids})
        )
        if graded is not None:
            grades, bridged = graded.result()
    master_key = run.master(grades, amounts)

    t_hash = template_hash(t)
    report = {
        "template": t.model_dump(mode="json"),
        "template_hash": t_hash,
        "master_key": master_key,
        "fps": str(rate),
        "reference_shot": picked,
        "reference_auto": picked is not None and choice == "auto",
        "detail_target": None if target is None else round(target, 4),
        "shots": [
            {
                "shot_id": sid,
                "raw_key": raw_key,
                "finished_key": run.state[sid].key,
                "sharpen": amounts[sid],
                "grade": {
                    "matched_by": "off" if bridged is None else matched_by(grades[sid], sid in bridged),
                    **grades[sid].to_json(),
                },
                "before": run.raw[sid].summary(),
                "after": run.state[sid].stats.summary(),
            }
            for sid, raw_key in shots
        ],
        "stages": {name: run.timings[name] for name in sorted(run.timings, key=STAGE_ORDER.index)},
    }
    get_logger(__name__).info("episode finished", master=master_key, shots=len(shots), reference=picked)
    return FinishResult(
        master_key=master_key,
        shot_keys={sid: run.state[sid].key for sid in run.ids},
        reference_shot=picked,
        template_hash=t_hash,
        report=report,
    )
