"""The deployment files, checked where Docker cannot run them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose


def test_mongo_is_a_single_node_replica_set_with_a_volume_and_healthcheck() -> None:
    mongo = _compose()["services"]["mongo"]
    assert mongo["image"].startswith("mongo:8")
    assert "--replSet" in mongo["command"]
    replica_set = mongo["command"][mongo["command"].index("--replSet") + 1]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])
    assert f'_id: "{replica_set}"' in " ".join(mongo["healthcheck"]["test"])
    volume = mongo["volumes"][0].split(":")[0]
    assert volume in _compose()["volumes"]
    assert replica_set == "rs0"


def test_api_is_wired_to_mongo_and_published() -> None:
    services = _compose()["services"]
    api = services["api"]
    assert api["build"] == "."
    assert api["depends_on"]["mongo"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["MONGODB_URI"].startswith("mongodb://mongo:27017/")
    assert "replicaSet=rs0" in env["MONGODB_URI"]
    assert "JWT_SECRET" in env
    assert api["ports"][0].endswith(f":{env['PORT']}")
    # Every variable handed to the API is a setting it knows.
    known = {name.upper() for name in Settings.model_fields}
    assert set(env) <= known


def test_dockerfile_runs_as_non_root_with_workers() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER app\n" in dockerfile
    assert "WORKERS=" in dockerfile
    assert 'CMD ["contracts", "serve"]' in dockerfile
    # Every package the project installs is copied into the image.
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for pattern in packages["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package} ./{package}" in dockerfile
