"""The audio stage: offline TTS dialogue, a music bed, a ducked mix, loudness and subtitles."""
