"""The Fountain parser: every construct lands with its kind and source line; bad scripts name the line."""

from __future__ import annotations

import pytest

from microdrama.errors import InputError
from microdrama.script.fountain import Kind, parse_fountain

SCRIPT = """\
Title: The Last Heir
    Episode 9
Author: A. Writer

# Act one
= Mara learns the truth.

INT. MANOR BEDROOM - NIGHT #12#

Rain on the glass. MARA waits.
[[check the rain plate]]
The clock strikes.

JULIAN (V.O.) (CONT'D)
(low)
You should not
be here.
(beat)
Leave.

/* a cut scene
EXT. GARDEN - DAY
*/
@McCabe
Hello. [[rewrite]]

CUT TO:

.FLASHBACK

!MARA LOOKS UP.

> THE END <

> SMASH CUT
"""


def test_parses_every_construct_with_its_source_line() -> None:
    play = parse_fountain(SCRIPT, "ep09.fountain")

    assert play.title_page == {"title": "The Last Heir\nEpisode 9", "author": "A. Writer"}
    assert play.title == "The Last Heir Episode 9"
    assert [(e.kind, e.text, e.line) for e in play.elements] == [
        (Kind.SCENE_HEADING, "INT. MANOR BEDROOM - NIGHT", 8),
        # The note on its own line does not split the paragraph.
        (Kind.ACTION, "Rain on the glass. MARA waits. The clock strikes.", 10),
        (Kind.CHARACTER, "JULIAN", 14),
        (Kind.PARENTHETICAL, "(low)", 15),
        (Kind.DIALOGUE, "You should not be here.", 16),
        (Kind.PARENTHETICAL, "(beat)", 18),
        (Kind.DIALOGUE, "Leave.", 19),
        (Kind.CHARACTER, "McCabe", 24),
        (Kind.DIALOGUE, "Hello.", 25),
        (Kind.TRANSITION, "CUT TO:", 27),
        (Kind.SCENE_HEADING, "FLASHBACK", 29),
        (Kind.ACTION, "MARA LOOKS UP.", 31),
        (Kind.CENTERED, "THE END", 33),
        (Kind.TRANSITION, "SMASH CUT", 35),
    ]
    assert play.elements[2].extension == "(V.O.) (CONT'D)"
    assert [(s.heading.text, len(s.elements)) for s in play.scenes] == [
        ("INT. MANOR BEDROOM - NIGHT", 9),
        ("FLASHBACK", 3),
    ]


def test_title_falls_back_to_the_first_scene_heading() -> None:
    play = parse_fountain("\n\next. roof - dawn\n\nWind.\n", "ep.fountain")
    assert play.title == "ext. roof - dawn"
    assert play.elements[0].line == 3


@pytest.mark.parametrize(
    ("script", "line", "message"),
    [
        ("INT. A - DAY\n\n(softly)\nHello.\n", 3, "without a character cue"),
        ("INT. A - DAY\n\nShe waits.\n\n(softly)\n", 5, "without a character cue"),
        ("INT. A - DAY\n\nMARA\n\nHello there.\n", 3, "MARA has no dialogue"),
        ("INT. A - DAY\n\nJULIAN (O.S.)\n", 3, "JULIAN has no dialogue"),
        ("INT. A - DAY\n\nMARA\n(beat)\n", 3, "MARA has no dialogue"),
        ("INT. A - DAY\n\n@mara\n", 3, "mara has no dialogue"),
        ("Title: X\n\nShe runs.\n\nINT. A - DAY\n", 3, "action before the first scene heading"),
        ("\nMARA\nHi.\n\nINT. A - DAY\n", 2, "character before the first scene heading"),
        ("INT. A - DAY\n\nShe runs.\n/* cut\n\nmore\n", 4, "unterminated boneyard"),
        ("INT. A - DAY\n\nShe [[runs.\n\n", 3, "unterminated note"),
    ],
)
def test_malformed_script_names_the_line(script: str, line: int, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_fountain(script, "bad.fountain")
    assert caught.value.file == "bad.fountain"
    assert caught.value.line == line
    assert str(caught.value).startswith(f"bad.fountain:{line}: ")


@pytest.mark.parametrize("script", ["", "\n\n  \n", "Title: Nothing yet\nAuthor: me\n", "/* all of it\ncut */\n"])
def test_empty_script_is_rejected(script: str) -> None:
    with pytest.raises(InputError, match="empty"):
        parse_fountain(script, "empty.fountain")


def test_lone_shouted_line_with_punctuation_is_action_not_a_cue() -> None:
    play = parse_fountain("INT. A - DAY\n\nBANG!\n", "ep.fountain")
    assert [(e.kind, e.text) for e in play.elements[1:]] == [(Kind.ACTION, "BANG!")]
