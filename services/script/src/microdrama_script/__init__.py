"""microdrama script service: Fountain scripts to shot lists."""
