from collections.abc import Callable
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from microdrama.finishing import FinishingTemplate, finish_episode
from microdrama.finishing.measure import edge_width, gray, sharpness
from microdrama.finishing.stages.detail import Resampler
from microdrama.finishing.yuv import plane, to_yuv420
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import FRAMES, HEIGHT, PREFIX, WIDTH, decode, frames_of, put_clip, scene, template

DETAIL_ONLY = {"deflicker": {"enabled": False}, "grade": {"enabled": False}}


def finished(
    root: Path, pictures: dict[str, np.ndarray], t: FinishingTemplate, measure: Callable[[np.ndarray], float | None]
) -> dict[str, float]:
    """`measure` of each still picture's shot as finished, the mean over the frames it can be taken on."""
    store = LocalStore(root)
    steady = np.ones(FRAMES)
    shots = [(name, put_clip(store, name, frames_of(picture, steady))) for name, picture in pictures.items()]
    result = finish_episode(shots, t, runner=InProcessRunner(), store_factory=partial(LocalStore, root), prefix=PREFIX)
    return {
        shot: float(np.mean([v for frame in decode(store, key) if (v := measure(frame)) is not None]))
        for shot, key in result.shot_keys.items()
    }


def finished_sharpness(root: Path, t: FinishingTemplate) -> dict[str, float]:
    """Sharpness of each shot as finished: a sharp take and the same kind of picture, soft."""
    return finished(root, {"sharp": scene(4), "soft": scene(5, blur=0.7)}, t, sharpness)


def test_soft_shot_is_sharpened_to_its_neighbours_detail(tmp_path: Path) -> None:
    upscale = {"sharpen": 0.3, "max_sharpen": 4.0}
    plain = finished_sharpness(tmp_path / "off", template(upscale={**upscale, "detail_match": False}, **DETAIL_ONLY))
    matched = finished_sharpness(tmp_path / "on", template(upscale=upscale, **DETAIL_ONLY))
    assert plain["soft"] < 0.75 * plain["sharp"]
    assert abs(matched["soft"] - matched["sharp"]) < 0.03 * matched["sharp"]
    assert abs(matched["sharp"] - plain["sharp"]) < 0.02 * plain["sharp"]  # the sharpest shot keeps the base amount


def plain(seed: int) -> np.ndarray:
    """In focus, but little detail: a smooth backdrop with a few hard-edged shapes (a sky with a sign in it)."""
    rng = np.random.default_rng(seed)
    picture: np.ndarray = np.full((HEIGHT, WIDTH, 3), 120.0, np.float32)
    picture += np.linspace(-20, 20, HEIGHT, dtype=np.float32)[:, None, None]
    for _ in range(3):
        x, y = rng.integers(0, WIDTH - 20), rng.integers(0, HEIGHT - 20)
        picture[y : y + 20, x : x + 20] += rng.uniform(-60, 60, 3).astype(np.float32)
    return picture


def test_plain_shot_in_focus_is_not_sharpened_to_a_detailed_neighbours_level(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    steady = np.ones(FRAMES)
    shots = [
        ("detailed", put_clip(store, "detailed", frames_of(scene(4), steady))),
        ("plain", put_clip(store, "plain", frames_of(plain(7), steady))),
    ]
    t = template(upscale={"sharpen": 0.3, "max_sharpen": 4.0}, **DETAIL_ONLY)
    result = finish_episode(
        shots, t, runner=InProcessRunner(), store_factory=partial(LocalStore, tmp_path), prefix=PREFIX
    )
    amounts = {shot["shot_id"]: shot["sharpen"] for shot in result.report["shots"]}
    # Both are in focus: the plain one has less detail, not softer edges. Matched on detail alone it would get
    # max_sharpen (4.0: its detail never reaches the other's) and ring; its edge width keeps it near the base amount
    # (0.3; its few hard edges, H.264-encoded at 72x128, read a shade softer than the textured shot's: 0.74 here).
    assert amounts["detailed"] == 0.3
    assert amounts["plain"] <= 1.0


def test_busy_shot_gone_soft_gets_the_crisp_edges_of_its_plain_neighbour(tmp_path: Path) -> None:
    def finished_widths(root: Path, match: bool) -> dict[str, float]:
        t = template(upscale={"sharpen": 0.3, "max_sharpen": 4.0, "detail_match": match}, **DETAIL_ONLY)
        return finished(root, {"plain": plain(7), "busy": scene(5, blur=0.6)}, t, lambda f: edge_width(gray(f)))

    # The busy shot has far more detail than the plain one, soft as it is: matched on detail it kept its soft
    # edges. Its edges are what read as out of focus beside the plain shot's.
    plain_run = finished_widths(tmp_path / "off", match=False)
    matched = finished_widths(tmp_path / "on", match=True)
    assert plain_run["busy"] > 1.12 * plain_run["plain"]
    # Within a tenth (9% here, from 16%), not level: sharpening comes before the upscale, and the resampler draws the
    # plain shot's perfect steps as crisp as it draws any edge, which a soft take's sharpened edges approach.
    assert abs(matched["busy"] - matched["plain"]) < 0.1 * matched["plain"]
    assert abs(matched["plain"] - plain_run["plain"]) < 0.02 * plain_run["plain"]


def text_message() -> np.ndarray:
    """A phone-screen insert: dark text, hard-edged, on a light screen."""
    picture: np.ndarray = np.full((HEIGHT, WIDTH, 3), 235.0, np.float32)
    for line, word in enumerate(["Mom:", "where", "are", "you?"]):
        cv2.putText(picture, word, (4, 24 + 22 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (20, 20, 20), 1, cv2.LINE_AA)
    return picture


def test_a_text_insert_does_not_set_the_episodes_sharpness(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    steady = np.ones(FRAMES)
    pictures = {"focused": scene(4, blur=0.5), "insert": text_message(), "soft": scene(5, blur=0.8)}
    shots = [(name, put_clip(store, name, frames_of(picture, steady))) for name, picture in pictures.items()]
    t = template(upscale={"sharpen": 0.3}, **DETAIL_ONLY)
    result = finish_episode(
        shots, t, runner=InProcessRunner(), store_factory=partial(LocalStore, tmp_path), prefix=PREFIX
    )
    amounts = {shot["shot_id"]: shot["sharpen"] for shot in result.report["shots"]}
    # No photographed shot has the insert's edges: matched to them, both others were sharpened to max_sharpen.
    assert amounts["focused"] == 0.3 and amounts["insert"] == 0.3
    assert amounts["soft"] > 1.0


def test_edge_width_reads_blur_not_content() -> None:
    def squares(count: int, contrast: float, blur: float) -> np.ndarray:
        picture = np.full((480, 270), 60.0, np.float32)
        rng = np.random.default_rng(count)
        for _ in range(count):
            x, y = rng.integers(10, 220), rng.integers(10, 420)
            picture[y : y + 40, x : x + 40] = 60.0 + contrast
        return np.clip(cv2.GaussianBlur(picture, (0, 0), blur), 0, 255).round().astype(np.uint8)

    widths = {
        (count, blur): edge_width(squares(count, contrast, blur))
        for count, contrast in ((2, 50.0), (12, 150.0))
        for blur in (0.8, 2.5)
    }
    for count in (2, 12):
        sharp, soft = widths[(count, 0.8)], widths[(count, 2.5)]
        assert sharp is not None and soft is not None
        assert soft > 1.5 * sharp
    # Little content and much content, same focus: the same width (within a fifth).
    for blur in (0.8, 2.5):
        few, many = widths[(2, blur)], widths[(12, blur)]
        assert few is not None and many is not None
        assert abs(few - many) < 0.2 * many
    assert edge_width(np.full((480, 270), 90, np.uint8)) is None


def test_the_master_resampler_gives_the_same_picture_on_any_number_of_threads() -> None:
    # Identical input must give identical master bytes on every machine: swscale's slices may not change a pixel.
    rng = np.random.default_rng(5)
    frame = to_yuv420(cv2.GaussianBlur(rng.integers(0, 256, (250, 142, 3), dtype=np.uint8), (0, 0), 1.0))
    sliced = Resampler(720, 1280, "lanczos")(frame)
    single = VideoReformatter().reformat(frame, 720, 1280, format="yuv420p", interpolation="LANCZOS", threads=1)
    assert Resampler.THREADS > 1
    for index in range(3):
        assert np.array_equal(plane(sliced, index), plane(single, index))
