"""The deployment guide's Kubernetes files (docs/hub/k8s/): valid YAML that agrees
with itself and with the hub configuration the hub tests run.

No cluster here: what can drift is checked instead. The chart values register the
service where its Kubernetes Service listens; the hub's extra configuration gives the
same scopes and group as ``docs/hub/jupyterhub_config.py``; users' servers are pointed
at the service's prefix and allowed through to its pods; the service's pod gets the
environment a managed service gets, its token from the chart's Secret and the label
that lets it reach the hub; the service and the workers read the same configuration,
database Secret and library, with the securityContext bubblewrap needs; the library
and the database URL are mounted into no other pod.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

yaml = pytest.importorskip("yaml")  # PyYAML comes with jupyter_events

DOCS = Path(__file__).resolve().parents[1] / "docs" / "hub"
K8S = DOCS / "k8s"


def documents(name: str) -> dict[tuple[str, str], dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def hub_config(code: str, preset: Config | None = None) -> Config:
    c = preset or Config()
    exec(compile(code, "<config>", "exec"), {"c": c, "load_subconfig": None})
    return c


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_every_file_is_valid_yaml_of_known_kinds() -> None:
    kinds = set()
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and path.name != "config.yaml":
                assert doc["apiVersion"] and doc["metadata"]["name"], path
                kinds.add(doc["kind"])
    assert {"Deployment", "Service", "NetworkPolicy", "Secret", "ConfigMap",
            "PersistentVolumeClaim", "HorizontalPodAutoscaler"} <= kinds  # fmt: skip


def test_chart_values_register_the_service_as_the_hub_config_does() -> None:
    values = yaml.safe_load((K8S / "config.yaml").read_text())
    service = values["hub"]["services"]["codequest"]
    k8s = documents("codequest-service.yaml")
    port = k8s[("Service", "codequest-service")]["spec"]["ports"][0]["port"]
    assert service["url"] == f"http://codequest-service:{port}"

    # The same scopes and group as the configuration the hub tests run, minus the
    # managed service (an external one here).
    ours = hub_config(values["hub"]["extraConfig"]["codequest"])
    guide = hub_config((DOCS / "jupyterhub_config.py").read_text())
    assert ours.JupyterHub.load_roles.get_value([]) == guide.JupyterHub.load_roles.get_value([])
    assert ours.Spawner.server_token_scopes == guide.Spawner.server_token_scopes
    assert ours.JupyterHub.load_groups.get_value({}) == guide.JupyterHub.load_groups.get_value({})
    [managed] = guide.JupyterHub.services.get_value([])
    assert managed["name"] == "codequest" and managed["oauth_no_confirm"] is True
    assert service["oauth_no_confirm"] is True and service["display"] is True

    # Users' servers find the service at its prefix and may reach its pods' port.
    single = values["singleuser"]
    assert single["extraEnv"]["CODEQUEST_SERVICE_URL"] == (
        f"http://codequest-service:{port}/services/codequest/"
    )
    pod_labels = k8s[("Deployment", "codequest-service")]["spec"]["template"]["metadata"]["labels"]
    [rule] = single["networkPolicy"]["egress"]
    assert rule["to"][0]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert rule["ports"] == [{"port": port, "protocol": "TCP"}]


def test_the_service_pod_gets_what_a_managed_service_gets() -> None:
    values = yaml.safe_load((K8S / "config.yaml").read_text())["hub"]["services"]["codequest"]
    deployment = documents("codequest-service.yaml")[("Deployment", "codequest-service")]
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["hub.jupyter.org/network-access-hub"] == "true"
    [container] = pod["spec"]["containers"]
    env = env_of(container)
    assert env["JUPYTERHUB_API_TOKEN"] == {
        "secretKeyRef": {"name": "hub", "key": "hub.services.codequest.apiToken"}
    }
    assert env["JUPYTERHUB_SERVICE_NAME"] == "codequest"
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == "/services/codequest/"
    assert env["JUPYTERHUB_CLIENT_ID"] == values["oauth_client_id"]
    assert env["JUPYTERHUB_OAUTH_CALLBACK_URL"] == values["oauth_redirect_uri"]
    assert env["JUPYTERHUB_SERVICE_URL"].endswith(f":{container['ports'][0]['containerPort']}")
    assert container["command"][:4] == ["python", "-m", "codequest_jupyter", "service"]


def test_service_and_workers_share_config_library_and_sandbox() -> None:
    service = documents("codequest-service.yaml")
    workers = documents("codequest-worker.yaml")
    pods = {
        "service": service[("Deployment", "codequest-service")]["spec"]["template"]["spec"],
        "worker": workers[("Deployment", "codequest-worker")]["spec"]["template"]["spec"],
    }
    mounts = {}
    for name, pod in pods.items():
        [container] = pod["containers"]
        assert container["command"][3] == name
        assert container["command"][4] == (
            "--config=/srv/codequest/config/codequest_service_config.py"
        )
        # What bubblewrap needs, and no privileges.
        security = container["securityContext"]
        assert pod["hostUsers"] is False and security["procMount"] == "Unmasked"
        assert security["seccompProfile"] == {"type": "Unconfined"}
        assert security["appArmorProfile"] == {"type": "Unconfined"}
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert security["allowPrivilegeEscalation"] is False and "privileged" not in security
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        mounts[name] = {m["mountPath"]: m for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["db"]["secret"] == {"secretName": "codequest-db", "defaultMode": 0o400}
        assert volumes["library"]["persistentVolumeClaim"]["claimName"] == "codequest-library"
    assert mounts["service"] == mounts["worker"]
    assert mounts["service"]["/srv/codequest/challenges"]["readOnly"] is True

    # The ConfigMap holds the guide's service configuration, as it is (comments aside).
    def code(text: str) -> list[str]:
        lines = (line.strip() for line in text.splitlines())
        return [line for line in lines if line and not line.startswith("#")]

    config = service[("ConfigMap", "codequest-config")]["data"]["codequest_service_config.py"]
    assert code(config) == code((DOCS / "codequest_service_config.py").read_text())

    # The chart's users' pods mount neither (the values add no volume), and the
    # service admits only the proxy, the hub and users' servers.
    values = yaml.safe_load((K8S / "config.yaml").read_text())
    assert "storage" not in values.get("singleuser", {})
    policy = service[("NetworkPolicy", "codequest-service")]["spec"]["ingress"][0]["from"]
    assert {p["podSelector"]["matchLabels"]["component"] for p in policy} == {
        "proxy", "hub", "singleuser-server"
    }  # fmt: skip
