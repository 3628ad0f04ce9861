"""Finishing stages: plain classes run by any StageRunner (in-process or on Ray); none imports Ray."""
