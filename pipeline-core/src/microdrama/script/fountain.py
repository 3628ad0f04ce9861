"""A Fountain screenplay parser that keeps 1-based source lines for error messages.

Supported: title page, scene headings (INT./EXT./EST./INT./EXT./I/E or forced '.'),
action (forced '!'), character cues with extensions (forced '@', dual-dialogue '^'),
parentheticals, dialogue, transitions (… TO: or forced '>'), centered text (> … <).
Notes [[…]] and boneyard /* … */ are dropped; sections '#', synopses '=' and page
breaks '===' are ignored. Anything a shot list cannot be built from unambiguously
(dialogue without a speaker, a speaker without dialogue, text before the first scene
heading) is an InputError naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from microdrama.errors import InputError

_COMMENT_OPEN = re.compile(r"/\*|\[\[")
_TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z ]*):(.*)$")
_HEADING = re.compile(r"^(?P<prefix>INT\.?/EXT|I/E|INT|EXT|EST)(?:\.\s*|\s+)", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"\s*#[^#]+#$")
_CUE = re.compile(r"^(?P<name>[^():^]+?)\s*(?P<ext>(?:\([^)]*\)\s*)*)\^?$")
_FORCED_HEADING = re.compile(r"^\.[A-Za-z0-9]")
_PARENTHETICAL = re.compile(r"^\(.*\)$")
_TRANSITION = re.compile(r"^[^a-z]*TO:$")
# A lone line this short and bare reads as a cue that lost its dialogue, not as action.
_BARE_NAME = re.compile(r"^[A-Z][A-Z0-9.'\- ]{0,30}[A-Z0-9]$")

Line = tuple[int, str]  # (1-based source line, text)


class Kind(StrEnum):
    SCENE_HEADING = "scene_heading"
    ACTION = "action"
    CHARACTER = "character"
    PARENTHETICAL = "parenthetical"
    DIALOGUE = "dialogue"
    TRANSITION = "transition"
    CENTERED = "centered"


@dataclass(frozen=True)
class Element:
    kind: Kind
    text: str
    line: int
    extension: str = ""  # character cues only, e.g. "(V.O.)"


@dataclass(frozen=True)
class Scene:
    heading: Element
    elements: tuple[Element, ...]


@dataclass(frozen=True)
class Screenplay:
    source: str
    title_page: dict[str, str]
    elements: tuple[Element, ...]

    @property
    def title(self) -> str:
        """The title page's Title, else the first scene heading."""
        if self.title_page.get("title"):
            return " ".join(self.title_page["title"].split())
        return self.scenes[0].heading.text

    @property
    def scenes(self) -> list[Scene]:
        # The parser guarantees the first element is a heading, so every element has a scene.
        starts = [i for i, el in enumerate(self.elements) if el.kind is Kind.SCENE_HEADING]
        ends = [*starts[1:], len(self.elements)]
        return [Scene(self.elements[a], self.elements[a + 1 : b]) for a, b in zip(starts, ends, strict=True)]


def parse_fountain(text: str, source: str) -> Screenplay:
    """Parse a Fountain script; malformed input raises InputError(file=source, line=N)."""
    lines = _strip_comments(text.replace("\r\n", "\n").replace("\r", "\n"), source)
    title_page, body = _split_title_page(lines)
    elements: list[Element] = []
    for block in _blocks(body):
        elements.extend(_classify(block, source))
    if not elements:
        raise InputError("the script is empty: it has no scene heading", file=source)
    if elements[0].kind is not Kind.SCENE_HEADING:
        first = elements[0]
        message = f"{first.kind.value} before the first scene heading: {first.text!r}"
        raise InputError(message, file=source, line=first.line)
    return Screenplay(source, title_page, tuple(elements))


def parse_heading(heading: str) -> tuple[bool, str, str]:
    """'INT. MANOR BEDROOM - NIGHT' -> (True, 'MANOR BEDROOM', 'NIGHT').

    EXT. and EST. are exteriors; INT./EXT. and headings without a prefix (forced with '.')
    count as interiors. A heading without ' - TIME' is taken as DAY.
    """
    match = _HEADING.match(heading)
    interior = match is None or not match.group("prefix").upper().startswith(("EXT", "EST"))
    rest = heading[match.end() :] if match else heading
    location, sep, time_of_day = rest.rpartition(" - ")
    if not sep:
        return interior, rest.strip(), "DAY"
    return interior, location.strip(), time_of_day.strip().upper()


def _strip_comments(text: str, source: str) -> list[Line]:
    """Drop notes and boneyard, keeping line numbers; lines that held only a comment vanish."""
    kept: list[str] = []
    touched: set[int] = set()
    pos = 0
    while match := _COMMENT_OPEN.search(text, pos):
        closer, what = ("*/", "boneyard /*") if match.group() == "/*" else ("]]", "note [[")
        end = text.find(closer, match.end())
        first_line = text.count("\n", 0, match.start()) + 1
        if end < 0:
            raise InputError(f"unterminated {what}: no closing {closer}", file=source, line=first_line)
        kept += [text[pos : match.start()], "\n" * text.count("\n", match.start(), end)]
        touched.update(range(first_line, first_line + text.count("\n", match.start(), end) + 1))
        pos = end + len(closer)
    kept.append(text[pos:])
    original = text.split("\n")
    return [
        (n, line.rstrip())
        for n, line in enumerate("".join(kept).split("\n"), start=1)
        if line.strip() or n not in touched or not original[n - 1].strip()
    ]


def _split_title_page(lines: list[Line]) -> tuple[dict[str, str], list[Line]]:
    """Key: value lines up to the first blank line; indented lines continue a value."""
    start = next((i for i, (_, text) in enumerate(lines) if text.strip()), len(lines))
    if start == len(lines) or not _TITLE_KEY.match(lines[start][1]) or _HEADING.match(lines[start][1]):
        return {}, lines
    page: dict[str, str] = {}
    key = ""
    i = start
    while i < len(lines) and lines[i][1].strip():
        text = lines[i][1]
        match = _TITLE_KEY.match(text)
        if match and not text[0].isspace():
            key = match.group(1).strip().lower()
            page[key] = match.group(2).strip()
        else:
            page[key] = f"{page[key]}\n{text.strip()}".strip()
        i += 1
    return page, lines[i:]


def _blocks(lines: list[Line]) -> list[list[Line]]:
    """Paragraphs separated by blank lines; sections, synopses and page breaks left out."""
    blocks: list[list[Line]] = [[]]
    for n, text in lines:
        stripped = text.strip()
        if not stripped:
            blocks.append([])
        elif not stripped.startswith(("#", "=")):
            blocks[-1].append((n, stripped))
    return [b for b in blocks if b]


def _classify(block: list[Line], source: str) -> list[Element]:
    (n, first), rest = block[0], block[1:]
    if _FORCED_HEADING.match(first) or _HEADING.match(first):
        heading = _SCENE_NUMBER.sub("", first[1:] if first.startswith(".") else first).strip()
        return [Element(Kind.SCENE_HEADING, heading, n), *(_classify(rest, source) if rest else [])]
    if first.startswith("!"):
        return [_action([(n, first[1:]), *rest])]
    if first.startswith(">") and first.endswith("<") and not rest:
        return [Element(Kind.CENTERED, first[1:-1].strip(), n)]
    if not rest and (first.startswith(">") or _TRANSITION.match(first)):
        return [Element(Kind.TRANSITION, first.lstrip(">").strip(), n)]
    if _PARENTHETICAL.match(first):
        raise InputError(f"parenthetical or dialogue without a character cue: {first!r}", file=source, line=n)
    cue = _cue(first, n)
    if cue is not None and (rest or first.startswith("@") or _BARE_NAME.match(first) or cue.extension):
        return _dialogue_block(cue, rest, source)
    return [_action(block)]


def _cue(text: str, line: int) -> Element | None:
    """A character cue: an ALL CAPS name with optional (extensions), or anything forced with '@'."""
    forced = text.startswith("@")
    match = _CUE.match(text[1:] if forced else text)
    if match is None:
        return None
    name = match.group("name").strip()
    if not forced and (name != name.upper() or not any(c.isalpha() for c in name)):
        return None
    return Element(Kind.CHARACTER, name, line, match.group("ext").strip())


def _dialogue_block(cue: Element, rest: list[Line], source: str) -> list[Element]:
    if not any(not _PARENTHETICAL.match(text) for _, text in rest):
        raise InputError(
            f"character cue {cue.text} has no dialogue after it "
            "(put the dialogue on the next line, or start the line with ! to make it action)",
            file=source,
            line=cue.line,
        )
    out = [cue]
    for n, text in rest:
        if _PARENTHETICAL.match(text):
            out.append(Element(Kind.PARENTHETICAL, text, n))
        elif out[-1].kind is Kind.DIALOGUE:  # a speech wrapped over several lines is one line of dialogue
            out[-1] = Element(Kind.DIALOGUE, f"{out[-1].text} {text}", out[-1].line)
        else:
            out.append(Element(Kind.DIALOGUE, text, n))
    return out


def _action(block: list[Line]) -> Element:
    return Element(Kind.ACTION, " ".join(text for _, text in block).strip(), block[0][0])
