"""QC stage: measure a finished episode, grade it against rules, report in JSON and HTML."""

from microdrama.qc.report import QcReport, write_report
from microdrama.qc.rules import RuleResult
from microdrama.qc.run import run_qc
from microdrama.qc.thresholds import QcThresholds

__all__ = ["QcReport", "QcThresholds", "RuleResult", "run_qc", "write_report"]
