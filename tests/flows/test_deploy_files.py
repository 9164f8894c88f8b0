"""The production files, checked as far as this machine allows.

Docker does not run here (no `docker compose config` either), so the files are parsed and
cross-checked: every setting documented, the Prefect deployments the same in prefect.yaml
and in ``samflow flows serve``, their flows importable, the compose services wired to each
other, the systemd units naming real commands.
"""

from __future__ import annotations

import configparser
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from prefect.flows import Flow
from prefect.utilities.importtools import import_object

from engine.domain.errors import InvalidInput
from engine.settings import Settings
from flows import deployments
from flows.cli import FLOWS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PACKAGES = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text("utf-8"))["tool"][
    "setuptools"
]["packages"]


def load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text("utf-8"))


def test_env_example_documents_every_setting() -> None:
    lines = (DEPLOY / "env.example").read_text("utf-8").splitlines()
    for field in Settings.model_fields:
        name = f"SAMFLOW_{field.upper()}"
        found = [i for i, line in enumerate(lines) if re.match(rf"#?\s*{name}=", line)]
        assert found, f"{name} is not in deploy/env.example"
        above = found[0] - 1
        while re.match(r"[A-Z_]+=", lines[above]):  # settings explained together
            above -= 1
        assert lines[above].startswith("# "), f"{name} has no comment saying what it is"
    defaults = Settings()
    assert f"SAMFLOW_ANNUAL_CRON={defaults.annual_cron}" in lines
    assert f"SAMFLOW_SMTP_PORT={defaults.smtp_port}" in lines


def test_env_example_values_are_the_defaults_and_parse() -> None:
    env = {}
    for line in (DEPLOY / "env.example").read_text("utf-8").splitlines():
        if line.startswith("SAMFLOW_"):
            name, _, value = line.partition("=")
            env[name] = value
    assert Settings.from_env(env) == Settings()
    on = Settings.from_env({"SAMFLOW_SMTP_STARTTLS": "yes", "SAMFLOW_SMTP_PORT": "587"})
    assert on.smtp_starttls is True and on.smtp_port == 587
    assert Settings.from_env({"SAMFLOW_SMTP_STARTTLS": "0"}).smtp_starttls is False


def test_prefect_yaml_declares_what_samflow_flows_serve_serves() -> None:
    doc = load("prefect.yaml")
    declared = {d["name"]: d for d in doc["deployments"]}
    served = {d.name: d for d in deployments.deployments(Settings())}
    assert set(declared) == set(served) == {"annual", "sweep", "digest", "jobs"}
    for name, d in declared.items():
        flow = import_object(d["entrypoint"])
        assert isinstance(flow, Flow) and flow.name == served[name].flow_name
        assert served[name].entrypoint == d["entrypoint"].replace(":", ".")
        assert d["work_pool"]["name"] == "samflow"
        if name == "jobs":  # run only when the web app asks
            assert d["schedules"] == [] and served[name].schedules == []
            continue
        [schedule] = d["schedules"]
        assert schedule["timezone"] == deployments.TIMEZONE
        if "cron" in schedule:
            CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # valid cron
        else:
            IntervalSchedule(interval=schedule["interval"])
    defaults = Settings()
    assert declared["annual"]["schedules"][0]["cron"] == defaults.annual_cron
    assert declared["digest"]["schedules"][0]["cron"] == defaults.digest_cron
    assert declared["sweep"]["schedules"][0]["interval"] == defaults.sweep_minutes * 60
    annual = f"{served['annual'].flow_name}/annual"
    assert annual == defaults.annual_deployment  # what the web app runs
    assert f"{served['jobs'].flow_name}/jobs" == defaults.jobs_deployment


def test_serve_without_a_yearly_schedule_when_the_cron_is_empty() -> None:
    served = {d.name: d for d in deployments.deployments(Settings(annual_cron=""))}
    assert served["annual"].schedules == [] and len(served["sweep"].schedules) == 1


def test_compose_wires_database_prefect_server_worker_and_app() -> None:
    doc = load("compose.yaml")
    services = doc["services"]
    assert {"db", "prefect-server", "worker", "app"} <= set(services)
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown {needed}"
        build = service.get("build")
        if build:
            assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
    prefect_env = services["prefect-server"]["environment"]
    assert prefect_env["PREFECT_SERVER_DATABASE_DRIVER"] == "postgresql+asyncpg"
    assert prefect_env["PREFECT_SERVER_DATABASE_NAME"] == "prefect"
    assert "CREATE DATABASE prefect" in (DEPLOY / "initdb" / "10-prefect-database.sql").read_text()
    worker = services["worker"]["command"]
    assert (
        worker[:3] == ["prefect", "worker", "start"]
        and worker[worker.index("--pool") + 1]
        == (load("prefect.yaml")["deployments"][0]["work_pool"]["name"])
    )
    app_env = doc["x-samflow"]["environment"]
    assert app_env["SAMFLOW_RUNNER"] == "prefect"
    assert app_env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert app_env["SAMFLOW_DATABASE_URL"] == "postgresql://samflow@db/samflow"  # no password
    assert app_env["SAMFLOW_DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"
    deploying = " ".join(services["deployments"]["command"])
    assert "deploy/prefect.yaml" in deploying and (DEPLOY / "prefect.yaml").is_file()


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    import jsonschema
    from check_jsonschema.builtin_schemas import get_builtin_schema

    schema = get_builtin_schema("vendor.compose-spec")
    jsonschema.validate(load("compose.yaml"), schema)
    broken = load("compose.yaml")
    broken["services"]["app"]["stop_grace_period"] = {"minutes": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)  # the check can fail


def test_compose_publishes_only_the_tls_proxy_and_runs_one_image() -> None:
    doc = load("compose.yaml")
    services = doc["services"]
    published = {n for n, s in services.items() if s.get("ports")}
    assert published == {"proxy", "prefect-server"}
    assert services["proxy"]["ports"] == ["80:80", "443:443"]
    assert all(p.startswith("127.0.0.1:") for p in services["prefect-server"]["ports"])
    assert "ports" not in services["app"] and services["app"]["expose"] == ["8000"]
    proxy_ip = services["proxy"]["networks"]["front"]["ipv4_address"]
    assert services["app"]["environment"]["SAMFLOW_TRUSTED_PROXIES"] == proxy_ip
    caddy = (DEPLOY / "Caddyfile").read_text("utf-8")
    assert "reverse_proxy app:8000" in caddy and "/readyz" in caddy
    # built once (by migrate), run by every samflow service from the same image
    built = [n for n, s in services.items() if "build" in s]
    assert built == ["migrate"]
    image = doc["x-samflow"]["image"]
    samflow = [n for n, s in services.items() if n not in ("db", "proxy")]
    assert all(services[n]["image"] == image for n in samflow)
    # the app starts after the deployments exist, is checked for readiness, and the worker
    # is given time to finish its runs when stopped
    assert services["app"]["depends_on"]["deployments"]["condition"] == (
        "service_completed_successfully"
    )
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])
    assert services["worker"]["stop_grace_period"] == "10m"
    assert "POSTGRES_PASSWORD" not in (DEPLOY / "compose.yaml").read_text("utf-8").replace(
        "POSTGRES_PASSWORD_FILE", ""
    )


def test_a_password_with_url_characters_goes_in_apart_and_placeholders_are_refused() -> None:
    odd = "p@ss/w:rd?#%"
    s = Settings.from_env(
        {
            "SAMFLOW_DATABASE_URL": "postgresql://samflow@db/samflow",
            "SAMFLOW_DATABASE_PASSWORD": odd,
        }
    )
    from sqlalchemy.engine import make_url

    url = make_url(s.database_url)
    assert url.password == odd and url.host == "db" and url.database == "samflow"
    for bad in ("change-me", "CHANGE-ME"):
        with pytest.raises(InvalidInput) as refused:
            Settings.from_env(
                {
                    "SAMFLOW_DATABASE_URL": "postgresql://samflow@db/samflow",
                    "SAMFLOW_DATABASE_PASSWORD": bad,
                }
            )
        assert "SAMFLOW_DATABASE_PASSWORD" in str(refused.value.errors[0].render("en"))
    with pytest.raises(InvalidInput):
        Settings.from_env({"SAMFLOW_DATABASE_URL": "postgresql://u:change-me@db/samflow"})


def test_dockerfile_copies_what_exists_and_installs_with_the_constraints() -> None:
    text = (DEPLOY / "Dockerfile").read_text("utf-8")
    root = DEPLOY.parent
    for line in text.splitlines():
        if line.startswith("COPY "):
            *sources, _ = line.split()[1:]
            for source in sources:
                assert (root / source).exists(), source
    assert "pip install -c constraints.txt ." in text
    assert text.startswith("#") and "FROM python:3.11" in text
    # every package pyproject.toml lists is copied in (cli/ once was not)
    tops = {name.split(".")[0] for name in PACKAGES}
    copied = {line.split()[1].rstrip("/") for line in text.splitlines() if line.startswith("COPY ")}
    assert tops <= copied, tops - copied
    assert "HEALTHCHECK" in text and "/healthz" in text


def units() -> list[Path]:
    return sorted((DEPLOY / "systemd").iterdir())


@pytest.mark.parametrize("path", units(), ids=lambda p: p.name)
def test_systemd_units_parse_and_run_real_commands(path: Path) -> None:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(path.read_text("utf-8"))
    assert unit["Unit"]["Description"]
    if path.suffix == ".timer":
        assert unit["Timer"]["OnCalendar"] and unit["Install"]["WantedBy"] == "timers.target"
        assert (path.parent / path.name.replace(".timer", ".service")).is_file()
        return
    service = unit["Service"]
    assert service["User"] == "samflow" and service["EnvironmentFile"].startswith("/etc/samflow/")
    # Prefect's home must not be under the home directory ProtectHome=yes hides
    assert service["Environment"] == "PREFECT_HOME=/srv/samflow/.prefect"
    assert service["ReadWritePaths"] == "/srv/samflow"
    if service["Type"] == "oneshot":
        assert "TimeoutStartSec" in service  # systemd would wait forever
    program, *args = shlex.split(service["ExecStart"])
    assert program.startswith("/srv/samflow/.venv/bin/")
    if program.endswith("/prefect"):
        assert args[:2] in (["server", "start"], ["worker", "start"])
    elif args[0] == "flows":
        assert args[1] == "run" and args[2] in FLOWS and "--direct" in args
    else:
        assert args[0] == "serve"  # the web app's command


def test_a_bad_setting_is_refused_naming_its_variable() -> None:
    for env, named, says in [
        ({"SAMFLOW_RUNNER": "celery"}, "SAMFLOW_RUNNER", "'thread' or 'prefect'"),
        ({"SAMFLOW_LANG": "fr"}, "SAMFLOW_LANG", "'sv' or 'en'"),
        ({"SAMFLOW_COOKIE_SECURE": "sometimes"}, "SAMFLOW_COOKIE_SECURE", "'always'"),
        ({"SAMFLOW_SMTP_PORT": "twenty-five"}, "SAMFLOW_SMTP_PORT", "whole number"),
        ({"SAMFLOW_SMTP_STARTTLS": "maybe"}, "SAMFLOW_SMTP_STARTTLS", "true or false"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            Settings.from_env(env)
        [error] = caught.value.errors
        assert error.path == named and says in caught.value.message("en"), env


def test_secrets_come_from_files_and_never_show(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("hemligt-lösen\n", "utf-8")
    settings = Settings.from_env({"SAMFLOW_SMTP_PASSWORD_FILE": str(secret)})
    assert settings.secret("smtp_password") == "hemligt-lösen"
    assert "hemligt" not in repr(settings) and "hemligt" not in str(settings)
    # the variable itself wins over its file
    both = {"SAMFLOW_SMTP_PASSWORD": "direkt", "SAMFLOW_SMTP_PASSWORD_FILE": str(secret)}
    assert Settings.from_env(both).secret("smtp_password") == "direkt"
    with pytest.raises(InvalidInput) as caught:
        Settings.from_env({"SAMFLOW_DATABASE_URL_FILE": str(tmp_path / "missing")})
    assert caught.value.errors[0].path == "SAMFLOW_DATABASE_URL_FILE"


def test_settings_built_in_code_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMFLOW_LANG", "en")
    assert Settings().lang == "sv"
    assert Settings.from_env().lang == "en"
