"""The deployment files of infra/ checked without a cluster, a registry or the network:

- every Kubernetes manifest against the Kubernetes API schemas bundled in kubernetes-validate
  (strict: an unknown field is an error), and what the schemas cannot say: probes, resources,
  graceful-shutdown periods, selectors, autoscaler targets, the kustomizations' files;
- every setting the manifests, the compose file and its example env file set is one the
  Settings model reads (a misspelt variable would be silently ignored), and the ConfigMap,
  with a Secret's values, makes valid production Settings;
- the compose file's services, build and commands; the Temporal Helm values on PostgreSQL;
- the Dockerfile's stages, user and the paths it copies.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from infra.settings import Settings
from infra.settings_table import environment_names

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
K8S = INFRA / "k8s"
KUBERNETES_VERSION = "1.31"  # the oldest Kubernetes these manifests are written for
# Read by uvicorn itself (which proxies' X-Forwarded-* headers to trust), not by our Settings.
OTHER_VARIABLES = {"FORWARDED_ALLOW_IPS"}
SECRET_VALUES = {
    "DATABASE_URL": "postgresql://biosafety:secret@postgres.example.internal:5432/biosafety",
    "BIOSAFETY_API_TOKENS": '{"a-long-random-token-for-the-test": "staff:kovacs"}',
}


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def resources(kind: str) -> dict[str, dict[str, Any]]:
    """The base's resources of one kind (overlays hold patches), by name."""
    found = {}
    for path in manifest_files():
        if "overlays" in path.parts:
            continue
        for doc in documents(path):
            if doc["kind"] == kind:
                found[doc["metadata"]["name"]] = doc
    return found


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def module_of(command: list[str]) -> str:
    assert command[:2] == ["python", "-m"], command
    return command[2]


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_manifest_is_valid_for_kubernetes(path: Path) -> None:
    docs = documents(path)
    assert docs
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{path.name} {doc['kind']}: {str(error).splitlines()[0]}")


def test_the_validator_refuses_an_invalid_manifest() -> None:
    """The schema check is real: a misspelt field and a wrong type are refused."""
    deployment = resources("Deployment")["biosafety-api"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomizations_name_existing_files_and_the_base_names_every_manifest() -> None:
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
        listed = [*spec.get("resources", []), *(p["path"] for p in spec.get("patches", []))]
        for entry in listed:
            assert (kustomization.parent / entry).exists(), f"{kustomization}: {entry}"
    base = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    in_base = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    # The Secret is created out of band (never committed with values): only its example is here.
    assert set(base["resources"]) == in_base - {"secret.example.yaml"}


def test_workloads_run_our_modules_as_non_root_with_resources() -> None:
    workloads = [*resources("Deployment").values(), *resources("Job").values()]
    assert {w["metadata"]["name"] for w in workloads} >= {"biosafety-api", "biosafety-worker"}
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in containers(workload):
            name = f"{workload['metadata']['name']}/{container['name']}"
            assert importlib.util.find_spec(module_of(container["command"])), name
            assert container["resources"]["requests"].keys() >= {"cpu", "memory"}, name
            assert container["resources"]["limits"].keys() >= {"cpu", "memory"}, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            sources = [next(iter(s.values()))["name"] for s in container["envFrom"]]
            assert sources == ["biosafety-config", "biosafety-secrets"], name


def test_api_probes_and_graceful_shutdown() -> None:
    api = resources("Deployment")["biosafety-api"]
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert module_of(container["command"]) == "infra.serve"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    port = container["ports"][0]
    assert port["containerPort"] == int(config()["BIOSAFETY_API_PORT"])
    # preStop, then uvicorn's graceful period for requests in flight, then the lifespan shutdown
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    graceful = int(config()["BIOSAFETY_API_GRACEFUL_SHUTDOWN_SECONDS"])
    assert api["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > pre_stop + graceful


def test_worker_metrics_probe_and_graceful_shutdown() -> None:
    worker = resources("Deployment")["biosafety-worker"]
    pod = worker["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"] == ["python", "-m", "worker"]
    metrics_port = int(config()["BIOSAFETY_WORKER_METRICS_BIND_ADDRESS"].rpartition(":")[2])
    assert container["ports"][0]["containerPort"] == metrics_port
    assert container["livenessProbe"]["httpGet"]["path"] == "/metrics"
    annotations = worker["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(metrics_port)
    # The kubelet waits longer than the worker lets activities in flight finish.
    graceful = int(config()["BIOSAFETY_WORKER_GRACEFUL_SHUTDOWN_SECONDS"])
    assert pod["terminationGracePeriodSeconds"] > graceful + 10


def test_selectors_autoscalers_and_budgets_find_their_pods() -> None:
    deployments = resources("Deployment")
    labels = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deployments.items()}
    for name, deployment in deployments.items():
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels[name].items()
    service = resources("Service")["biosafety-api"]
    assert service["spec"]["selector"].items() <= labels["biosafety-api"].items()
    for hpa in resources("HorizontalPodAutoscaler").values():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        assert hpa["spec"]["minReplicas"] >= 2  # one pod lost never stops the service
    budgets = resources("PodDisruptionBudget").values()
    assert {
        name
        for name in deployments
        if any(
            b["spec"]["selector"]["matchLabels"].items() <= labels[name].items() for b in budgets
        )
    } == set(deployments)
    ingress = resources("Ingress")["biosafety-api"]
    paths = [p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert "/v1" in paths and "/metrics" not in paths and "/" not in paths


def config() -> dict[str, str]:
    data: dict[str, str] = resources("ConfigMap")["biosafety-config"]["data"]
    return data


def known(names: set[str]) -> set[str]:
    return names - environment_names() - OTHER_VARIABLES


def test_every_variable_set_is_a_setting() -> None:
    unknown = known(set(config()))
    for path in K8S.rglob("*.yaml"):
        for doc in documents(path):
            if doc.get("kind") in ("ConfigMap", "Secret"):
                unknown |= known(set(doc.get("data") or {}) | set(doc.get("stringData") or {}))
            if doc.get("kind") in ("Deployment", "Job"):
                for container in containers(doc):
                    unknown |= known({e["name"] for e in container.get("env", [])})
    assert not unknown, f"not read by infra/settings.py: {sorted(unknown)}"


@pytest.mark.parametrize("overlay", [None, *sorted((K8S / "overlays").iterdir())])
def test_the_configmap_makes_valid_production_settings(
    overlay: Path | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = dict(config())
    if overlay is not None:
        patch = documents(overlay / "configmap.yaml")[0]
        values.update(patch["data"])
    for name in [n for n in environment_names() if n.startswith("BIOSAFETY_")] + ["DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**values, **SECRET_VALUES}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.environment == "production" and settings.json_logs
    assert settings.api_host == "0.0.0.0"
    assert settings.temporal_namespace.startswith("biosafety-")
    assert settings.temporal_namespace.endswith(settings.authority_party.lower())


def test_compose_file() -> None:
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgresql", "temporal", "temporal-ui", "setup", "worker", "api"}
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on {dependency}"
    for name in ("setup", "worker", "api"):
        service = services[name]
        build = service["build"]
        assert (INFRA / build["context"] / build["dockerfile"]).resolve() == (
            INFRA / "docker" / "Dockerfile"
        )
        modules = re.findall(r"python -m ([\w.]+)", " ".join(service["command"]))
        assert modules and all(importlib.util.find_spec(m) for m in modules), name
        assert not known(set(service["environment"])), name
    assert services["worker"]["depends_on"]["setup"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    initdb = services["postgresql"]["volumes"][1].split(":")[0]
    assert (INFRA / initdb / "01-databases.sh").exists()
    example = (INFRA / "compose.env.example").read_text(encoding="utf-8")
    variables = {line.split("=")[0] for line in example.splitlines() if "=" in line}
    compose_only = {
        "APP_VERSION",
        "POSTGRES_PASSWORD",
        "TEMPORAL_DB_PASSWORD",
        "BIOSAFETY_DB_PASSWORD",
    }
    assert not known(variables - compose_only)
    required = set(re.findall(r"\$\{(\w+):\?", (INFRA / "compose.yaml").read_text()))
    assert required <= variables, f"missing from compose.env.example: {required - variables}"


def test_temporal_helm_values_use_postgresql_for_both_stores() -> None:
    values = yaml.safe_load((INFRA / "temporal-helm" / "values.yaml").read_text(encoding="utf-8"))
    persistence = values["server"]["config"]["persistence"]
    stores = persistence["datastores"]
    for store in (persistence["defaultStore"], persistence["visibilityStore"]):
        sql = stores[store]["sql"]
        assert sql["pluginName"] == sql["driverName"] == "postgres12"
        assert sql["existingSecret"] and "password" not in sql  # no password in the file
    assert stores["default"]["sql"]["databaseName"] != stores["visibility"]["sql"]["databaseName"]
    for bundled in ("cassandra", "mysql", "postgresql", "elasticsearch"):
        assert values[bundled]["enabled"] is False
    namespaces = {n["name"] for n in values["server"]["config"]["namespaces"]["namespace"]}
    assert config()["BIOSAFETY_TEMPORAL_NAMESPACE"] in namespaces


def test_dockerfile() -> None:
    text = (INFRA / "docker" / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line and not line.startswith("#")]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2 and " AS build" in stages[0] and " AS runtime" in stages[-1]
    for line in lines:
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, _destination = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such path"
    runtime = text.split(" AS runtime", 1)[1]
    user = re.search(r"^USER (\S+)", runtime, re.MULTILINE)
    assert user is not None and not user.group(1).startswith(("0", "root"))
    assert "pip install --no-deps ." in text  # the app installed from pyproject.toml
    command = re.search(r'^CMD \["python", "-m", "([\w.]+)"\]', runtime, re.MULTILINE)
    assert command is not None and importlib.util.find_spec(command.group(1))
    ignore = (INFRA / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for path in source.split():
            assert f"!{path}" in ignore.split(), f"{path} is not sent in the build context"
