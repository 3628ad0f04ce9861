"""Generation stage: providers that turn a shot into a take (an MP4), and what checks uploaded takes."""
