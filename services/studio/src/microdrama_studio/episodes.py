"""Episode status documents (the view built from events) as API messages."""

from __future__ import annotations

from typing import Any

from md.studio.v1 import studio_pb2 as pb

_STATES = {
    "submitted": pb.EPISODE_STATE_SUBMITTED,
    "scripted": pb.EPISODE_STATE_SCRIPTED,
    "shots_ready": pb.EPISODE_STATE_SHOTS_READY,
    "finished": pb.EPISODE_STATE_FINISHED,
    "mixed": pb.EPISODE_STATE_MIXED,
    "qc_passed": pb.EPISODE_STATE_QC_PASSED,
    "qc_failed": pb.EPISODE_STATE_QC_FAILED,
    "approved": pb.EPISODE_STATE_APPROVED,
    "delivered": pb.EPISODE_STATE_DELIVERED,
    "failed": pb.EPISODE_STATE_FAILED,
}


def operation_name(series_id: str, episode_id: str, submission: str) -> str:
    return f"operations/{series_id}/{episode_id}/{submission}"


def episode_message(series_id: str, episode_id: str, doc: dict[str, Any] | None) -> pb.Episode:
    doc = doc or {}
    error = doc.get("error", {})
    submission = doc.get("submission", "")
    return pb.Episode(
        series_id=series_id,
        id=episode_id,
        state=_STATES.get(doc.get("state", ""), pb.EPISODE_STATE_UNSPECIFIED),
        shots_total=doc.get("shots_total", 0),
        shots_generated=len(doc.get("generated", [])),
        shots_checked=len(doc.get("identity_checked", [])),
        shots_finished=len(doc.get("finished_shots", [])),
        failed_rules=doc.get("failed_rules", []),
        error_stage=error.get("stage", ""),
        error_reason=error.get("reason", ""),
        operation=operation_name(series_id, episode_id, submission) if submission else "",
    )
