"""Write each character's reference portrait to the path the series bible names.

Usage: python infra/tools/make_references.py [SERIES_DIR]   (default: examples/the-last-heir)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

from microdrama.character.portrait import render_portrait
from microdrama.domain.bible import parse_bible
from microdrama.logs import configure_logging, get_logger

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    configure_logging()
    log = get_logger("make_references")
    series = Path(argv[0]) if argv else REPO / "examples" / "the-last-heir"
    bible_path = series / "bible.yaml"
    bible = parse_bible(bible_path.read_text(encoding="utf-8"), str(bible_path))
    for character in bible.characters:
        portrait = render_portrait(character.look)
        for ref in character.references:
            dest = series / ref
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(dest), cv2.cvtColor(portrait, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]):
                raise OSError(f"could not write {dest}")
            log.info("reference written", character=character.id, path=str(dest), bytes=dest.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
