"""microdrama audio service: dialogue, music, mix, loudness, subtitles."""
