"""Subtitle cues from spoken lines, written and read as SRT and WebVTT."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from microdrama.errors import InputError


@dataclass(frozen=True)
class Cue:
    index: int
    start_s: float
    end_s: float
    text: str  # rows separated by "\n"


class TimedText(Protocol):
    """Anything with text and a time span: a placed line, or a script's dialogue line."""

    @property
    def text(self) -> str: ...
    @property
    def start_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...


def _rows(words: list[str], width: int) -> list[str]:
    """Wrap at word boundaries into as few rows as `width` allows, balanced in length."""
    text = " ".join(words)
    rows = textwrap.wrap(text, width, break_long_words=False)  # a word longer than width stays whole
    for w in range(math.ceil(len(text) / len(rows)), width):
        narrower = textwrap.wrap(text, w, break_long_words=False)
        if len(narrower) <= len(rows):
            return narrower
    return rows


def _chunks(words: list[str], max_chars: int, max_lines: int) -> list[list[str]]:
    """Split words into the fewest groups of similar length that each fit max_lines rows."""
    for count in range(1, len(words) + 1):
        target = sum(len(w) + 1 for w in words) / count
        groups: list[list[str]] = [[]]
        size = 0
        for word in words:
            if groups[-1] and size + len(word) / 2 > target * len(groups) and len(groups) < count:
                groups.append([])
            groups[-1].append(word)
            size += len(word) + 1
        if all(len(_rows(g, max_chars)) <= max_lines for g in groups):
            return groups
    return [[w] for w in words]


def cues_from_lines(
    lines: Iterable[TimedText], max_chars_per_line: int = 42, max_lines: int = 2, min_duration_s: float = 1.0
) -> list[Cue]:
    """One cue per line of dialogue, split into several when it needs more than max_lines rows.

    A split line shares its time in proportion to characters. Cues are held for at
    least min_duration_s where the next cue leaves room, and never overlap.
    """
    timed: list[tuple[float, float, str]] = []
    for line in sorted(lines, key=lambda item: item.start_s):
        words = line.text.split()
        if not words:
            continue
        groups = _chunks(words, max_chars_per_line, max_lines)
        total = sum(len(" ".join(g)) for g in groups)
        start = line.start_s
        for group in groups:
            end = start + (line.end_s - line.start_s) * len(" ".join(group)) / total
            # Times are kept to the millisecond, the precision SRT and WebVTT carry.
            timed.append((round(start, 3), round(end, 3), "\n".join(_rows(group, max_chars_per_line))))
            start = end
    cues = []
    for i, (start, end, text) in enumerate(timed):
        end = max(end, round(start + min_duration_s, 3))
        if i + 1 < len(timed):
            end = min(end, timed[i + 1][0])
        cues.append(Cue(i + 1, start, end, text))
    return cues


def reading_speed_cps(cue: Cue) -> float:
    """Characters per second, counting spaces and punctuation; a row break counts as a space."""
    duration = cue.end_s - cue.start_s
    if duration <= 0:
        return math.inf
    return len(" ".join(cue.text.splitlines())) / duration


def _stamp(seconds: float, separator: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [f"{c.index}\n{_stamp(c.start_s, ',')} --> {_stamp(c.end_s, ',')}\n{c.text}\n" for c in cues]
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue]) -> str:
    blocks = [f"{c.index}\n{_stamp(c.start_s, '.')} --> {_stamp(c.end_s, '.')}\n{c.text}\n" for c in cues]
    return "\n".join(["WEBVTT\n", *blocks])


_SRT_TIME = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d),(\d{3})$")
_VTT_TIME = re.compile(r"^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$")


def _seconds(stamp: str, pattern: re.Pattern[str], line_no: int, source: str | None) -> float:
    match = pattern.match(stamp)
    if not match:
        raise InputError(f"bad timestamp {stamp!r}", file=source, line=line_no)
    h, m, s, ms = (int(g or 0) for g in match.groups())
    return h * 3600 + m * 60 + s + ms / 1000


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Blank-line separated blocks, each with the 1-based number of its first line."""
    block: list[str] = []
    first = 0
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if raw.strip():
            if not block:
                first = number
            block.append(raw.rstrip())
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _cue(index: int, rows: list[str], timing_at: int, first: int, pattern: re.Pattern[str], source: str | None) -> Cue:
    """A cue from a block whose timing row is rows[timing_at] and whose text follows it."""
    line_no = first + timing_at
    if timing_at >= len(rows) or "-->" not in rows[timing_at]:
        raise InputError("expected a timing line 'start --> end'", file=source, line=min(line_no, first + len(rows)))
    left, _, right = rows[timing_at].partition("-->")
    if not right.split():
        raise InputError("timing line has no end time", file=source, line=line_no)
    start = _seconds(left.strip(), pattern, line_no, source)
    end = _seconds(right.split()[0], pattern, line_no, source)  # WebVTT cue settings may follow
    if end <= start:
        raise InputError(f"cue ends ({end:.3f} s) before it starts ({start:.3f} s)", file=source, line=line_no)
    text = rows[timing_at + 1 :]
    if not text:
        raise InputError("cue has no text", file=source, line=line_no)
    return Cue(index, start, end, "\n".join(text))


def parse_srt(text: str, source: str | None = None) -> list[Cue]:
    """Read SubRip; malformed input raises InputError naming the line."""
    cues = []
    for first, rows in _blocks(text):
        if not rows[0].strip().isdigit():
            raise InputError(f"expected a cue number, found {rows[0]!r}", file=source, line=first)
        cues.append(_cue(int(rows[0]), rows, 1, first, _SRT_TIME, source))
    return cues


def parse_vtt(text: str, source: str | None = None) -> list[Cue]:
    """Read WebVTT cues (NOTE, STYLE and REGION blocks skipped); cues are numbered in order."""
    blocks = list(_blocks(text))
    if not blocks or not re.match(r"^WEBVTT(?:[ \t].*)?$", blocks[0][1][0]) or blocks[0][0] != 1:
        raise InputError("a WebVTT file starts with 'WEBVTT'", file=source, line=1)
    cues: list[Cue] = []
    for first, rows in blocks[1:]:
        if rows[0].split(maxsplit=1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing_at = 0 if "-->" in rows[0] else 1
        cues.append(_cue(len(cues) + 1, rows, timing_at, first, _VTT_TIME, source))
    return cues
