"""The finishing template: a versioned, hashed document locked per series so every episode looks alike."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from microdrama.errors import InputError
from microdrama.models.registry import known

SCHEMA_VERSION = 1

Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeflickerSection(_Section):
    enabled: bool = True
    window: int = Field(default=15, ge=3, le=121, description="frames in the smoothing window")
    strength: float = Field(default=1.0, ge=0.0, le=1.0, description="1 pulls each frame fully onto the smoothed curve")
    scene_cut: float = Field(
        default=20.0, gt=0.0, le=255.0, description="a lasting mean-luma jump (0-255) above this starts a new window"
    )


class GradeSection(_Section):
    enabled: bool = True
    reference: str = Field(default="auto", min_length=1, description="'auto' (most representative shot) or a shot id")
    strength: float = Field(default=1.0, ge=0.0, le=1.0)
    max_shift: float = Field(
        default=25.0, ge=0.0, le=100.0, description="the most a shot's mean moves per Lab channel (L* 0-100 units)"
    )
    max_scale: float = Field(
        default=1.5, ge=1.0, le=4.0, description="the most a shot's spread is scaled per Lab channel (1/max_scale down)"
    )
    max_gain: float = Field(
        default=1.5, ge=1.0, le=4.0, description="the most a channel is scaled to undo a cast seen in shared regions"
    )


class MotionSection(_Section):
    enabled: bool = True
    repair_judder: bool = True
    fps: str | None = Field(
        default=None, description="None keeps each shot's rate; else the rate to convert to, e.g. 30 or 30000/1001"
    )

    @field_validator("fps", mode="before")
    @classmethod
    def _rate(cls, value: object) -> str | None:
        """Numbers and 'num/den' strings become one canonical fraction string; NTSC decimals become x/1001."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"must be a frame rate such as 30 or 30000/1001, got {value!r}")
        try:
            rate = Fraction(str(value))
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"must be a frame rate such as 30 or 30000/1001, got {value!r}") from exc
        ntsc = Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)
        if rate.denominator != 1 and abs(rate - ntsc) < Fraction(1, 200):
            rate = ntsc
        if not 1 <= rate <= 240:
            raise ValueError(f"frame rate {value} is outside 1-240")
        return str(rate)

    @model_validator(mode="after")
    def _rate_needs_motion(self) -> MotionSection:
        if self.fps is not None and not self.enabled:
            raise ValueError("fps converts with motion-compensated interpolation: it needs enabled: true")
        return self

    @property
    def rate(self) -> Fraction | None:
        return None if self.fps is None else Fraction(self.fps)


class FaceSection(_Section):
    enabled: bool = True
    window: int = Field(default=15, ge=3, le=121, description="frames in the smoothing window of face boxes and looks")
    # Off by default: a face is measured against its own frame, and that ratio changes with what is behind
    # it (a close-up against a dark wall, a wide shot against a window), so pulling shots' ratios together
    # relights faces that were right. For a generator that drifts a character's exposure between shots.
    reference_strength: float = Field(
        default=0.0, ge=0.0, le=1.0, description="1 moves a shot's faces fully onto the episode's reference faces"
    )
    max_gain: float = Field(
        default=1.3, ge=1.0, le=4.0, description="the most a face's channel is brightened or darkened"
    )
    max_sharpen: float = Field(
        default=1.5, ge=0.0, le=4.0, description="the most unsharp amount a soft face frame gets"
    )


class ReframeSection(_Section):
    mode: Literal["crop", "letterbox"] = Field(
        default="crop", description="shots not in the master's aspect: subject-following crop, or letterbox"
    )
    smoothing: float = Field(default=2.0, gt=0.0, le=30.0, description="seconds in the crop path's smoothing window")


class UpscaleModel(_Section):
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
        description="a known model (`microdrama models list`) or the stem of NAME.pth in the models folder",
    )
    sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="the weight file's sha256; default: the registry's"
    )
    tile: int = Field(default=0, ge=0, le=4096, description="input pixels per tile side; 0 runs whole frames")

    @model_validator(mode="after")
    def _known_or_pinned(self) -> UpscaleModel:
        if self.sha256 is None:
            try:
                known(self.name)
            except InputError as exc:
                raise ValueError(f"{exc}; or give the sha256 of your own weight file") from exc
        return self

    @property
    def weights_sha256(self) -> str:
        return self.sha256 or known(self.name).sha256


class UpscaleSection(_Section):
    model: UpscaleModel | None = Field(default=None, description="a learned upscaler run before sharpening")
    width: int = Field(default=2160, ge=16, le=8192)
    height: int = Field(default=3840, ge=16, le=8192)
    resampler: Literal["lanczos", "bicubic"] = "lanczos"
    sharpen: float = Field(
        default=0.3, ge=0.0, le=4.0, description="unsharp-mask amount for the reference shot, the least any shot gets"
    )
    max_sharpen: float = Field(
        default=2.0, ge=0.0, le=4.0, description="the most any shot is sharpened to match the reference's edges"
    )
    sharpen_sigma: float = Field(
        default=1.0, gt=0.0, le=10.0, description="unsharp-mask radius, pixels of the shot before its master resample"
    )
    detail_match: bool = True

    @field_validator("width", "height")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even for 4:2:0 encoding, got {value}")
        return value

    @model_validator(mode="after")
    def _sharpen_within_max(self) -> UpscaleSection:
        if self.sharpen > self.max_sharpen:
            raise ValueError(f"sharpen {self.sharpen} is above max_sharpen {self.max_sharpen}")
        return self

    @model_serializer(mode="wrap")
    def _omit_absent_model(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without a model the section serialises (and hashes) exactly as before the field existed."""
        data: dict[str, Any] = handler(self)
        if self.model is None:
            data.pop("model", None)
        return data


class EncodeSection(_Section):
    codec: Literal["libx264", "libx265"] = "libx264"
    crf: int = Field(default=16, ge=0, le=51)
    preset: Preset = "veryfast"
    pix_fmt: Literal["yuv420p", "yuv420p10le"] = "yuv420p"

    @model_validator(mode="after")
    def _supported_pair(self) -> EncodeSection:
        # libx265 10-bit corrupts the heap in the PyAV 18.1 wheel (seen here), so it is refused up front.
        if self.codec == "libx265" and self.pix_fmt != "yuv420p":
            raise ValueError("libx265 supports only pix_fmt yuv420p in this build")
        return self


class LockSection(_Section):
    hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the template's content when it was locked")


class FinishingTemplate(_Section):
    version: int = SCHEMA_VERSION
    name: str = Field(default="default", min_length=1, max_length=128)
    motion: MotionSection = MotionSection()
    face: FaceSection = FaceSection()
    reframe: ReframeSection = ReframeSection()
    deflicker: DeflickerSection = DeflickerSection()
    grade: GradeSection = GradeSection()
    upscale: UpscaleSection = UpscaleSection()
    encode: EncodeSection = EncodeSection()
    locked: LockSection | None = None

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported template version {value}; this build reads version {SCHEMA_VERSION}")
        return value


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "template"
        what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        problems.append(f"{where}: {what}")
    return "; ".join(problems)


def parse_template(doc: Any, source: str = "template") -> FinishingTemplate:
    """Validate a template document already parsed from YAML or JSON; errors name the source and key."""
    if not isinstance(doc, dict):
        raise InputError("a finishing template must be a mapping of sections", file=source)
    try:
        template = FinishingTemplate.model_validate(doc)
    except ValidationError as exc:
        raise InputError(_describe(exc), file=source) from exc
    if template.locked and template.locked.hash != template_hash(template):
        raise InputError(
            f"locked.hash: the template was changed after it was locked (locked {template.locked.hash[:12]}, "
            f"content now {template_hash(template)[:12]})",
            file=source,
        )
    return template


def load_template(path: Path | str) -> FinishingTemplate:
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read finishing template ({exc.strerror})", file=str(p)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"invalid YAML: {problem}", file=str(p), line=mark.line + 1 if mark else None) from exc
    return parse_template(doc, str(p))


def default_template() -> FinishingTemplate:
    return FinishingTemplate()


def canonical_json(model: BaseModel) -> str:
    """The form that is hashed: key order and spacing never change the hash, content always does."""
    return json.dumps(model.model_dump(mode="json", exclude={"locked"}), sort_keys=True, separators=(",", ":"))


def template_hash(template: FinishingTemplate) -> str:
    """sha256 of the content; the lock record itself is left out, so locking never changes the hash."""
    return hashlib.sha256(canonical_json(template).encode()).hexdigest()


def lock_template(template: FinishingTemplate) -> FinishingTemplate:
    """A frozen copy carrying its own hash: any later edit makes it fail validation."""
    return template.model_copy(update={"locked": LockSection(hash=template_hash(template))})


def template_to_yaml(template: FinishingTemplate) -> str:
    doc = template.model_dump(mode="json", exclude=None if template.locked else {"locked"})
    return yaml.safe_dump(doc, sort_keys=False)
