"""The deployment files agree with each other and with the code.

Static checks only (no Docker here): compose structure, the env vars the
docat containers get, the nginx WebSocket/upload settings, alert rules, and
that every metric the dashboard and rules use is defined in docat/metrics.py.
`bash deploy/check.sh` runs the real promtool and `nginx -t` on the same files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from docat import metrics
from docat.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCAT_SERVICES = ("api", "worker", "migrate")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def env_example_names() -> set[str]:
    """Every variable .env.example mentions, set or commented out."""
    pattern = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
    return set(pattern.findall((ROOT / ".env.example").read_text()))


def defined_series() -> set[str]:
    """Every series name docat/metrics.py exposes (with the type's suffixes)."""
    suffixes = {
        "counter": ("_total",),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum"),
    }
    names: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                names.update(family.name + s for s in suffixes[family.type])
    return names


def docat_names_in(expr: str) -> set[str]:
    return set(re.findall(r"\bdocat_[a-z0-9_]+", expr))


def recording_rule_names() -> set[str]:
    groups = yaml.safe_load((DEPLOY / "prometheus/rules/docat.yml").read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


# ---- compose ---------------------------------------------------------------


def test_every_service_has_an_image_or_build(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert "image" in service or "build" in service, name


def test_depends_on_names_existing_services(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_api_and_worker_wait_for_migrations(services: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["createbucket"] == {"condition": "service_completed_successfully"}
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert services[name]["deploy"]["replicas"] >= 2


def test_roles_run_the_right_commands(services: dict[str, Any]) -> None:
    assert services["api"]["command"][0] == "serve"
    assert services["worker"]["command"] == ["worker"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    # One image for the three roles.
    assert {services[name]["image"] for name in DOCAT_SERVICES} == {services["api"]["image"]}


def test_state_services_have_healthchecks(services: dict[str, Any]) -> None:
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name


def test_docat_containers_get_only_known_settings(services: dict[str, Any]) -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name in DOCAT_SERVICES:
        environment = services[name]["environment"]
        unknown = set(environment) - known
        assert not unknown, f"{name}: {unknown} are not docat settings"
        # The variables production needs are all there.
        assert {"DATABASE_URL", "REDIS_URL", "S3_BUCKET", "SECRET_KEY"} <= set(environment)


def test_interpolated_variables_are_documented_in_env_example() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    # ${NAME}, ${NAME:-default}, ${NAME:?message}; $$ is compose's literal $.
    used = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))
    missing = used - env_example_names()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_covers_every_setting() -> None:
    missing = {name.upper() for name in Settings.model_fields} - env_example_names()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_comments_every_variable() -> None:
    """Each variable, or the small group of related ones it belongs to, has a comment above."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    assignment = re.compile(r"^[A-Z][A-Z0-9_]*=")
    for index, line in enumerate(lines):
        if assignment.match(line):
            above = index - 1
            while above >= 0 and assignment.match(lines[above]):
                above -= 1
            assert above >= 0 and lines[above].startswith("#"), f"{line!r} has no comment above it"


# ---- nginx -----------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    return (DEPLOY / "nginx/nginx.conf.template").read_text()


def location_block(conf: str, spec: str) -> str:
    match = re.search(r"location " + re.escape(spec) + r" \{(.*?)\n        \}", conf, re.DOTALL)
    assert match, f"no location {spec}"
    return match.group(1)


def test_graphql_location_upgrades_websockets(nginx_conf: str) -> None:
    block = location_block(nginx_conf, "= /graphql")
    assert "proxy_set_header Upgrade $http_upgrade;" in block
    assert "proxy_set_header Connection $connection_upgrade;" in block
    assert "proxy_buffering off;" in block
    seconds = int(re.search(r"proxy_read_timeout (\d+)s;", block).group(1))  # type: ignore[union-attr]
    assert seconds >= 600
    assert "map $http_upgrade $connection_upgrade" in nginx_conf
    assert "proxy_http_version 1.1;" in nginx_conf


def test_nginx_body_limit_follows_max_upload_mb(nginx_conf: str, services: dict[str, Any]) -> None:
    assert "client_max_body_size ${MAX_UPLOAD_MB}m;" in nginx_conf
    environment = services["nginx"]["environment"]
    assert environment["MAX_UPLOAD_MB"] == "${MAX_UPLOAD_MB:-25}"
    assert environment["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"
    # The only ${...} in the template are ones the nginx container substitutes.
    assert set(re.findall(r"\$\{(\w+)\}", nginx_conf)) <= set(environment)


def test_nginx_balances_over_api_replicas_through_docker_dns(nginx_conf: str) -> None:
    assert re.search(r"resolver 127\.0\.0\.11\b", nginx_conf)
    assert "set $docat_api http://api:8000;" in nginx_conf
    assert "proxy_pass $docat_api;" in nginx_conf


# ---- prometheus --------------------------------------------------------------


def test_prometheus_scrapes_api_and_workers_by_service_name(services: dict[str, Any]) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["docat-api"]["dns_sd_configs"][0]
    worker = jobs["docat-worker"]["dns_sd_configs"][0]
    assert (api["names"], api["port"]) == (["api"], 8000)
    assert (worker["names"], worker["port"]) == (["worker"], 9100)
    assert services["worker"]["environment"]["WORKER_METRICS_PORT"] == "9100"


def test_every_alert_is_complete_and_uses_defined_metrics() -> None:
    groups = yaml.safe_load((DEPLOY / "prometheus/rules/docat.yml").read_text())["groups"]
    alerts = [rule for group in groups for rule in group["rules"] if "alert" in rule]
    names = {rule["alert"] for rule in alerts}
    assert {
        "DocatHighErrorRate",
        "DocatSlowProcessing",
        "DocatQueueBacklog",
        "DocatWorkerHeartbeatStale",
    } <= names
    series = defined_series()
    for rule in groups[0]["rules"] + alerts:
        if "alert" in rule:
            for key in ("expr", "for", "labels", "annotations"):
                assert rule.get(key), f"{rule['alert']} lacks {key}"
            assert rule["labels"].get("severity"), rule["alert"]
            assert rule["annotations"].get("summary"), rule["alert"]
        unknown = docat_names_in(rule["expr"]) - series
        assert not unknown, f"{rule.get('alert') or rule.get('record')}: {unknown} not in docat/metrics.py"


# ---- grafana -----------------------------------------------------------------


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/docat.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_dashboard_queries_only_defined_metrics() -> None:
    exprs = dashboard_exprs()
    assert exprs
    series, recorded = defined_series(), recording_rule_names()
    for expr in exprs:
        unknown = docat_names_in(expr) - series
        assert not unknown, f"{expr}: {unknown} not in docat/metrics.py"
        for name in re.findall(r"\bdocat:[a-z0-9_:]+", expr):
            assert name in recorded, f"{expr}: recording rule {name} missing"


def test_dashboard_shows_every_metric() -> None:
    used = {name for expr in dashboard_exprs() for name in docat_names_in(expr)}
    # Strip series suffixes back to family names.
    families = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in used}
    families |= {"docat_cache_hits", "docat_cache_lookups"}  # via docat:cache_hit_ratio:rate5m
    defined = {
        family.name
        for value in vars(metrics).values()
        if isinstance(value, MetricWrapperBase)
        for family in value.describe()
    }
    assert defined - families == set()


def test_grafana_datasource_uid_matches_dashboard() -> None:
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    dashboard = json.loads((DEPLOY / "grafana/dashboards/docat.json").read_text())
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid
