"""A synth process skips the slow graceful exit only when synth printed nothing still on its way to stderr."""

import copy
import json
from pathlib import Path

from podnet.stacks.synth_exit import printed_findings
from tests.support.synth import Synthesized


def _write(report: dict[str, object], directory: Path) -> Path:
    path = directory / "validation-report.json"
    path.write_text(json.dumps(report))
    return path


def test_the_default_apps_report_lists_only_acknowledged_findings(default_app: Synthesized, tmp_path: Path) -> None:
    report = default_app.validation_report
    assert any(plugin["suppressedViolations"] for plugin in report["pluginReports"]), "nothing acknowledged"
    assert not printed_findings(_write(report, tmp_path))


def test_an_unacknowledged_finding_means_a_printed_report(default_app: Synthesized, tmp_path: Path) -> None:
    report = copy.deepcopy(default_app.validation_report)
    plugin = next(plugin for plugin in report["pluginReports"] if plugin["suppressedViolations"])
    plugin["violations"].append(plugin["suppressedViolations"].pop())
    assert printed_findings(_write(report, tmp_path))


def test_no_report_means_nothing_printed(tmp_path: Path) -> None:
    assert not printed_findings(tmp_path / "validation-report.json")
