"""microdrama delivery service: platform packages with manifests and checksums."""
