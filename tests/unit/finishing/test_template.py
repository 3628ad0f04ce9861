from fractions import Fraction
from pathlib import Path

import pytest

from microdrama.errors import InputError
from microdrama.finishing import default_template, load_template, template_hash, template_to_yaml
from microdrama.finishing.template import lock_template


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "look.yaml"
    path.write_text(text)
    return path


def test_defaults_are_a_4k_vertical_x264_master() -> None:
    t = default_template()
    assert (t.version, t.upscale.width, t.upscale.height) == (1, 2160, 3840)
    assert (t.encode.codec, t.encode.crf, t.encode.preset, t.upscale.resampler) == (
        "libx264",
        16,
        "veryfast",
        "lanczos",
    )


def test_yaml_round_trip_keeps_content_and_hash(tmp_path: Path) -> None:
    path = write(tmp_path, "name: noir\ngrade: {strength: 0.6, reference: s04}\nencode: {crf: 18}\n")
    t = load_template(path)
    assert (t.name, t.grade.strength, t.grade.reference, t.encode.crf) == ("noir", 0.6, "s04", 18)
    again = load_template(write(tmp_path, template_to_yaml(t)))
    assert again == t and template_hash(again) == template_hash(t)


def test_unknown_key_is_named_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "deflicker:\n  windw: 9\n")
    with pytest.raises(InputError, match=r"look\.yaml.*deflicker\.windw: unknown key"):
        load_template(path)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("grade: {strength: 1.5}", "grade.strength"),
        ("encode: {crf: 60}", "encode.crf"),
        ("upscale: {width: 2161}", "upscale.width"),
        ("upscale: {sharpen: 3.0, max_sharpen: 1.0}", "upscale"),
        ("encode: {codec: libx265, pix_fmt: yuv420p10le}", "encode"),
        ("version: 2", "version"),
        ("motion: {fps: 0.5}", "motion.fps"),
        ("motion: {fps: fast}", "motion.fps"),
        ("motion: {fps: 30, enabled: false}", "motion"),
        ("reframe: {mode: squash}", "reframe.mode"),
        ("locked: {hash: abc}", "locked.hash"),
    ],
)
def test_out_of_range_value_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(InputError, match=rf"look\.yaml: {field}: "):
        load_template(write(tmp_path, text))


def test_not_a_mapping_and_bad_yaml_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be a mapping"):
        load_template(write(tmp_path, "- just a list\n"))
    with pytest.raises(InputError, match=r"look\.yaml:2: invalid YAML: "):
        load_template(write(tmp_path, "grade:\n  strength: 1: 2\n"))


def test_hash_is_stable_over_key_order_and_changes_with_content(tmp_path: Path) -> None:
    a = load_template(write(tmp_path, "encode: {crf: 18, preset: medium}\nname: x\n"))
    b = load_template(write(tmp_path, "name: x\nencode: {preset: medium, crf: 18}\n"))
    c = load_template(write(tmp_path, "name: x\nencode: {preset: medium, crf: 19}\n"))
    assert template_hash(a) == template_hash(b)
    assert template_hash(a) != template_hash(c)
    assert template_hash(default_template()) == template_hash(default_template())


@pytest.mark.parametrize(
    ("value", "rate"), [(30, "30"), (29.97, "30000/1001"), ("24000/1001", "24000/1001"), (23.976, "24000/1001")]
)
def test_frame_rates_are_kept_as_exact_fractions(tmp_path: Path, value: object, rate: str) -> None:
    t = load_template(write(tmp_path, f"motion: {{fps: {value}}}\n"))
    assert t.motion.fps == rate and t.motion.rate == Fraction(rate)


def test_a_locked_template_keeps_its_hash_and_refuses_edits(tmp_path: Path) -> None:
    locked = lock_template(load_template(write(tmp_path, "name: noir\n")))
    assert locked.locked is not None and locked.locked.hash == template_hash(locked) == template_hash(
        default_template().model_copy(update={"name": "noir"})
    )
    assert load_template(write(tmp_path, template_to_yaml(locked))) == locked
    edited = template_to_yaml(locked).replace("crf: 16", "crf: 17")
    with pytest.raises(InputError, match=r"look\.yaml: locked\.hash: the template was changed after it was locked"):
        load_template(write(tmp_path, edited))
