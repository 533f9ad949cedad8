# JupyterHub configuration for CodeQuest's hub mode: the part CodeQuest needs.
#
# Load it from your own jupyterhub_config.py (authenticator, spawner, TLS...):
#
#     load_subconfig("/etc/jupyterhub/codequest_hub_config.py")
#
# The values that differ between deployments come from the environment of the hub
# process, with the defaults of the deployment guide (docs/hub/README.md).
import os

# The system user the service runs as: never a learner, and the only user that can read
# CODEQUEST_SERVICE_DIR (the challenge library, the database URL).
service_user = os.environ.get("CODEQUEST_SERVICE_USER", "codequest")
service_dir = os.environ.get("CODEQUEST_SERVICE_DIR", "/srv/codequest")
# A Python with codequest_jupyter (and jupyterhub) installed, executable by every user.
python = os.environ.get("CODEQUEST_PYTHON", "/opt/codequest/bin/python")
service_port = int(os.environ.get("CODEQUEST_SERVICE_PORT", "10101"))
service_name = "codequest"

c.JupyterHub.services.append(
    {
        "name": service_name,
        "display": True,
        "info": {"description": "CodeQuest grading service"},
        "url": f"http://127.0.0.1:{service_port}",
        "command": [
            python,
            "-m",
            "codequest_jupyter",
            "service",
            f"--config={service_dir}/codequest_service_config.py",
        ],
        "user": service_user,
        "cwd": service_dir,
        "environment": {
            "HOME": service_dir,
            "PATH": f"{os.path.dirname(python)}:/usr/local/bin:/usr/bin:/bin",
            "CODEQUEST_SERVICE_DIR": service_dir,
            # Jupyter's own folders: the service's, not any machine-wide ones it can avoid.
            "JUPYTER_CONFIG_DIR": f"{service_dir}/jupyter/config",
            "JUPYTER_DATA_DIR": f"{service_dir}/jupyter/data",
            "JUPYTER_RUNTIME_DIR": f"{service_dir}/jupyter/runtime",
        },
        "oauth_no_confirm": True,
    }
)

# Every user may use the service and see where it is; a learner's server token may do
# the same on its owner's behalf (the service asks the hub whose token it is).
_service_scopes = [
    f"access:services!service={service_name}",
    f"read:services!service={service_name}",
]
c.JupyterHub.load_roles.append({"name": "user", "scopes": ["self", *_service_scopes]})
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    *_service_scopes,
]

# Instructors: members of this hub group may list and read everyone's submissions.
# Add members with the hub's admin page or API; the service reads groups from the hub.
c.JupyterHub.load_groups.update({"codequest-instructors": {"users": []}})
