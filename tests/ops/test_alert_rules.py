"""The alerts (ops/alerts.yml): promtool accepts them and the example Prometheus config, their
unit tests pass, every alert is tested firing and not, has a runbook section in
docs/OPERATIONS.md, and the rules and the Grafana dashboard ask only for metrics that exist.

promtool comes with Debian's prometheus package: `scripts/services.sh ops-tools` installs it,
and `make test` runs that first."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
RUNBOOK = "docs/OPERATIONS.md"

# What the app and node_exporter export, as Prometheus stores it (issue 22). A query for
# anything else finds nothing, and an alert on it never fires.
EXPORTED = {
    "up",
    "kade_http_requests_total",
    "kade_orders_placed_total",
    "kade_payments_total",
    "kade_outbox_pending",
    "kade_outbox_lag_seconds",
    "kade_outbox_failed",
    "kade_rq_queue_depth",
    "kade_rq_failed_jobs",
    "kade_rq_workers",
    "kade_redis_up",
    "kade_db_pool_checked_out",
    "kade_db_pool_size",
    "kade_page_cache_lookups_total",
    "kade_backup_age_seconds",
    "kade_recovery_point_age_seconds",
    "kade_wal_archive_age_seconds",
    "kade_backup_stale",
    "kade_replica_lag_seconds",
    "kade_replica_standbys",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
}
HISTOGRAMS = {"kade_http_request_duration_seconds"}
EXPORTED |= {f"{name}_{part}" for name in HISTOGRAMS for part in ("bucket", "sum", "count")}


def promtool(*args: str, cwd: Path = ROOT) -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed: `scripts/services.sh ops-tools` installs it "
                    "(Debian's prometheus package; `make test` runs it first)")
    result = subprocess.run([path, *args], cwd=cwd, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, (
        f"promtool {' '.join(args)} failed (exit {result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}")
    return result.stdout


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules() -> list[dict]:
    return [rule for group in load(OPS / "alerts.yml")["groups"] for rule in group["rules"]]


def alerts() -> dict[str, dict]:
    return {rule["alert"]: rule for rule in rules() if "alert" in rule}


def recorded() -> set[str]:
    return {rule["record"] for rule in rules() if "record" in rule}


def alert_cases() -> list[dict]:
    return [case for test in load(OPS / "alerts.test.yml")["tests"]
            for case in test.get("alert_rule_test", [])]


# Words of PromQL that look like metric names.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric (and recording rule) names a PromQL expression reads: identifiers that are
    not a function, an aggregation, a keyword, a label or a Grafana variable."""
    expr = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', "", expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges and subqueries
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\$\{[^}]*\}|\$\w+", "", expr)  # $__rate_interval, ${pool}
    names = re.findall(r"(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", expr)
    return {name for name in names if name.lower() not in KEYWORDS}


def test_the_name_check_sees_every_metric_and_nothing_else():
    expr = ('sum by (group, le) (rate(kade_bogus_bucket{job="kade", pool=~"$pool"}'
            '[$__rate_interval])) / on (group) group_left group:kade_x:rate5m > 4e9 '
            'and max_over_time(up[1h] offset 1d) < bool inf')

    assert metric_names(expr) == {"kade_bogus_bucket", "group:kade_x:rate5m", "up"}


def test_promtool_accepts_the_rules():
    output = promtool("check", "rules", "ops/alerts.yml")

    assert f"SUCCESS: {len(rules())} rules found" in output


def test_every_alert_behaves_as_its_unit_tests_say():
    output = promtool("test", "rules", "ops/alerts.test.yml")  # fails on a failed case

    assert "SUCCESS" in output and "FAILED" not in output


def test_every_alert_is_tested_firing_and_not_firing():
    names = set(alerts())
    cases = alert_cases()
    firing = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}

    assert sorted(names - firing) == [], "alerts with no test that expects them firing"
    assert sorted(names - quiet) == [], "alerts with no test that expects them quiet"
    # A case for a misspelt alert expects nothing and passes whatever the rules say.
    assert sorted({case["alertname"] for case in cases} - names) == []


def test_every_alert_says_how_urgent_what_and_where_to_read_more():
    headings = runbook_anchors()

    for name, rule in alerts().items():
        assert rule.get("labels", {}).get("severity") in {"page", "ticket"}, name
        annotations = rule.get("annotations", {})
        assert annotations.get("summary") and annotations.get("description"), name
        document, _, anchor = annotations.get("runbook", "").partition("#")
        assert document == RUNBOOK, f"{name}: runbook {annotations.get('runbook')!r}"
        assert anchor in headings, f"{name}: no heading for #{anchor} in {RUNBOOK}"


def runbook_anchors() -> set[str]:
    """GitHub's anchors for the headings of docs/OPERATIONS.md (not `#` lines in code)."""
    anchors, in_code = set(), False
    for line in (ROOT / RUNBOOK).read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (heading := re.match(r"#{1,6}\s+(.*?)\s*$", line)):
            text = re.sub(r"[^\w\- ]", "", heading[1].lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


# Exported only where a standby streams from the primary (tests/ops/test_replication.py),
# and where pgBackRest archives WAL (tests/ops/backups).
WITH_A_STANDBY = {"kade_replica_lag_seconds"}
WITH_PGBACKREST = {"kade_wal_archive_age_seconds"}
FROM_ELSEWHERE = {"up", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}


def test_the_list_of_exported_metrics_is_what_the_app_exports(make_app, redis_url):
    """EXPORTED is checked against a real scrape, so a renamed metric fails here, not on
    the night its alert should have fired."""
    from tests.ops.prometheus_text import scrape

    app = make_app(REDIS_URL=redis_url, DATABASE_REPLICA_URL=make_app().config["DATABASE_URL"])
    client = app.test_client()
    client.get("/about")  # a request, a page cache lookup, a pool checkout
    with app.app_context():
        from app import db
        from app.db import utcnow
        from app.ops.backups.models import BackupRun
        from tests.checkout.factories import place_guest_order, stocked

        place_guest_order((stocked(units=2), 1))  # an order and a payment
        db.session.add(BackupRun(kind="snapshot", status="ok", started_at=utcnow(),
                                 finished_at=utcnow(), backup_id="b-1"))
        db.session.commit()
    client.get("/p/no-such-product")
    names = {name for name, _labels in scrape(client)}

    expected = EXPORTED - FROM_ELSEWHERE - WITH_A_STANDBY - WITH_PGBACKREST
    if app.extensions["kade_engine"].dialect.name == "sqlite":  # no pool, no replication
        expected -= {"kade_db_pool_checked_out", "kade_db_pool_size", "kade_replica_standbys"}
    assert sorted(expected - names) == []


def test_the_rules_read_only_exported_metrics_and_recorded_ones():
    known = EXPORTED | recorded()
    unknown = {(rule.get("alert") or rule["record"], name)
               for rule in rules() for name in metric_names(rule["expr"]) - known}

    assert sorted(unknown) == []


def test_promtool_accepts_the_example_prometheus_config(tmp_path):
    shutil.copy(OPS / "prometheus.yml", tmp_path)
    shutil.copy(OPS / "alerts.yml", tmp_path)
    # Stands in for the file holding METRICS_TOKEN; promtool checks it exists.
    (tmp_path / "kade-metrics-token").write_text("not-a-real-token\n")

    output = promtool("check", "config", "prometheus.yml", cwd=tmp_path)

    assert "SUCCESS: 1 rule files found" in output


def panels(items: list[dict]):
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))  # a collapsed row holds its panels


def test_the_dashboard_asks_only_for_exported_and_recorded_metrics():
    dashboard = json.loads((OPS / "grafana" / "kade.json").read_text(encoding="utf-8"))
    known = EXPORTED | recorded()
    graphs = [panel for panel in panels(dashboard["panels"]) if panel["type"] != "row"]
    variables = dashboard["templating"]["list"]
    queries = [(panel["title"], target["expr"]) for panel in graphs
               for target in panel.get("targets", [])]
    # label_values(metric, label): the second argument is a label
    queries += [(f"${v['name']}", re.sub(r",\s*\w+\s*\)\s*$", ")", v["query"]["query"]))
                for v in variables if v["type"] == "query"]

    assert graphs and all(panel.get("targets") for panel in graphs)
    assert {v["name"] for v in variables if v["type"] == "datasource"} == {"DS_PROMETHEUS"}
    assert sorted((title, name) for title, expr in queries
                  for name in metric_names(expr) - known) == []
