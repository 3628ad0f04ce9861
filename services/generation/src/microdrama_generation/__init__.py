"""microdrama generation service: provider adapters, takes."""
