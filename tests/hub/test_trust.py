"""Hub mode end to end, who decides: identities and roles come from the hub alone,
and nothing secret reaches a learner.

A script's submission is stored under the token's owner whatever the body says;
instructors are the hub group's members; a learner's own ``~/.jupyter`` config
claiming to be an instructor, another learner or another library changes nothing;
the service serves nothing but the CodeQuest API; from the learner's account
(``runuser``) and from learner code in the service's grading kernels no hidden test,
solution, database credential or other learner's file can be read; browsers sign in
through the hub's OAuth.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from challenge_factory import make_challenge, notebook
from hubcase import API, CID, SECRET, SERVICE_API, wrong_and_right
from hubenv import HubEnv, as_user

pytestmark = pytest.mark.hub


def test_scripts_submit_to_the_service_and_identity_comes_from_the_hub(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    wrong, _ = wrong_and_right()
    # A name in the body is not an identity: the hub says whose token this is.
    status, result, _ = hub.request(
        "POST", SERVICE_API + f"challenges/{CID}/submissions?wait=true", learner["token"],
        {"mode": "submit", "notebook": wrong, "user": hub.instructor},
    )  # fmt: skip
    assert status == 200, (result, hub.log_tail())
    assert result["user"] == learner["name"] and result["status"] == "failed"

    # The material a learner's server needs holds no hidden test and no solution.
    status, material, _ = hub.request("GET", SERVICE_API + f"challenges/{CID}/material",
                                      learner["token"])  # fmt: skip
    assert status == 200
    assert sorted(material["files"]) == ["adder.ipynb", "tests/test_add.py"]
    assert SECRET not in json.dumps(material)

    # Another learner sees none of it; only the hub group's members list everyone's.
    other = hub.token_for(hub.learners[1])
    status, _, _ = hub.request("GET", SERVICE_API + f"submissions/{result['id']}", other)
    assert status == 404
    status, _, _ = hub.request("GET", SERVICE_API + "submissions", learner["token"])
    assert status == 403
    instructor = hub.token_for(hub.instructor)
    status, info, _ = hub.request("GET", SERVICE_API + "info", instructor)
    assert status == 200 and info["instructor"] is True and info["user"] == hub.instructor
    status, everyone, _ = hub.request(
        "GET", SERVICE_API + f"submissions?user={learner['name']}", instructor
    )
    assert status == 200 and result["id"] in {s["id"] for s in everyone["submissions"]}

    # Without a hub token nothing is served.
    status, _, _ = hub.request("GET", SERVICE_API + "challenges", "not-a-token")
    assert status in (401, 403)


def test_the_service_serves_nothing_but_the_codequest_api(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    token = learner["token"]
    for method, path in [
        ("GET", "api/contents"),
        ("GET", "api/kernels"),
        ("POST", "api/kernels"),
        ("GET", "api/terminals"),
        ("POST", "api/terminals"),
        ("GET", "api/sessions"),
        ("GET", "files/codequest_service_config.py"),
        ("GET", "lab"),
    ]:
        status, body, _ = hub.request(method, f"services/codequest/{path}", token)
        assert status in (403, 404, 405), (method, path, status, body)
        assert "db_url" not in str(body) and SECRET not in str(body)


def test_a_learners_own_config_changes_no_grade_identity_or_role(hub: HubEnv) -> None:
    name, victim = hub.learners[1], hub.learners[0]
    home = Path(os.path.expanduser(f"~{name}"))
    fake = home / "fake-library"
    # Everything a learner might try from ~/.jupyter: be an instructor, be someone
    # else, grade against a copy of the challenge whose tests pass anything.
    make_challenge(fake, CID, tests={"test_ok.py": "def test_ok():\n    assert True\n"},
                   hidden={})  # fmt: skip
    config = textwrap.dedent(f"""
        c.CodeQuestApp.instructors = {{{name!r}}}
        c.CodeQuestApp.single_user = True
        c.CodeQuestApp.single_user_name = {victim!r}
        c.CodeQuestApp.challenge_dirs = [{str(fake)!r}]
        c.CodeQuestService.instructor_group = ""
    """)
    (home / ".jupyter").mkdir(exist_ok=True)
    (home / ".jupyter" / "jupyter_server_config.py").write_text(config)
    subprocess.run(["chown", "-R", f"{name}:{name}", str(home)], check=True)

    hub.start_server(name)
    token = hub.token_for(name)
    base = f"user/{name}/{API}"
    status, info, _ = hub.request("GET", base + "info", token)
    assert status == 200 and info["mode"] == "remote"
    assert info["user"] == name and info["instructor"] is False
    status, _, _ = hub.request("GET", base + "submissions", token)
    assert status == 403

    wrong, _ = wrong_and_right()
    status, result, _ = hub.request(
        "POST", base + f"challenges/{CID}/submissions?wait=true", token,
        {"mode": "submit", "notebook": wrong},
    )  # fmt: skip
    assert status == 200, (result, hub.log_tail())
    assert result["user"] == name and result["status"] == "failed" and result["total"] == 3

    # The victim's history holds none of it.
    instructor = hub.token_for(hub.instructor)
    status, everyone, _ = hub.request("GET", SERVICE_API + f"submissions?user={victim}", instructor)
    assert status == 200 and result["id"] not in {s["id"] for s in everyone["submissions"]}


KERNEL_PROBE = """
import glob, os
SERVICE_DIR = {service_dir!r}
seen = []
for path in [SERVICE_DIR, SERVICE_DIR + "/db_url", SERVICE_DIR + "/codequest_service_config.py",
             SERVICE_DIR + "/challenges/hub-adder/hidden/test_add_hidden.py"]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
        seen.append(path)
    except OSError:
        pass
for path in glob.glob("/proc/*/environ"):
    try:
        data = open(path, "rb").read()
    except OSError:
        continue
    if b"JUPYTERHUB_API_TOKEN" in data or b"postgresql" in data:
        seen.append(path)
if seen:
    raise RuntimeError("the grading kernel can read " + repr(seen))
if not os.path.exists("/etc/passwd"):
    raise RuntimeError("the probe cannot read anything")
"""


def test_learner_code_in_the_services_kernels_reads_nothing_of_the_service(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    # One cell: when the probe raises, add() is never defined and every test fails.
    probe = notebook(KERNEL_PROBE.format(service_dir=str(hub.service_dir))
                     + "\ndef add(a, b):\n    return a + b\n")  # fmt: skip
    status, result, _ = hub.request(
        "POST", SERVICE_API + f"challenges/{CID}/submissions?wait=true", learner["token"],
        {"mode": "submit", "notebook": probe},
    )  # fmt: skip
    assert status == 200, result
    assert result["cell_errors"] == [], result["cell_errors"]
    assert result["status"] == "passed", json.dumps(result, indent=1)[:3000]


PROBE = r"""
import glob, json, os, sys
# What to look for comes on stdin: on the command line it would be found in /proc.
secret, password, service_dir, pg_port, others = json.load(sys.stdin)
found = {"readable": [], "leaks": []}
for path in [*others, service_dir, f"{service_dir}/db_url",
             f"{service_dir}/codequest_service_config.py",
             f"{service_dir}/challenges/hub-adder/hidden/test_add_hidden.py",
             f"{service_dir}/challenges/hub-adder/solution/adder.py"]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
        found["readable"].append(path)
    except OSError:
        pass
def scan(path):
    try:
        if os.path.getsize(path) > 2_000_000:
            return
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return
    for word in (secret, password):
        if word.encode() in data:
            found["leaks"].append((path, word == secret and "secret" or "password"))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for what in ("environ", "cmdline"):
            scan(f"/proc/{pid}/{what}")
for root in ("/tmp", "/var/tmp", "/dev/shm", "/home", "/work"):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("node_modules", ".git", ".venv", ".yarn")]
        for name in files:
            scan(os.path.join(folder, name))
import psycopg
for user in ("codequest", "postgres"):
    try:
        psycopg.connect(host="127.0.0.1", port=int(pg_port), user=user, dbname="codequest",
                        connect_timeout=10).close()
        found["readable"].append(f"postgresql as {user}")
    except psycopg.OperationalError:
        pass
print(json.dumps(found))
"""


def test_a_learner_can_read_no_hidden_test_solution_or_db_credential(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    # After gradings ran (earlier tests), as the learner in a shell of their own.
    other_home = Path(os.path.expanduser(f"~{hub.learners[1]}"))
    others = [str(other_home), str(other_home / ".jupyter" / "jupyter_server_config.py")]
    looked_for = [SECRET, hub.db_password, str(hub.service_dir), str(hub.postgres.port), others]
    probe = as_user(learner["name"], str(hub.python), "-c", PROBE,
                    input=json.dumps(looked_for), timeout=600)  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert found == {"readable": [], "leaks": []}
    # The probe can see what it looks for: the owners can.
    assert as_user(hub.learners[1], "cat", others[1]).returncode == 0
    control = as_user(
        hub.service_user, str(hub.python), "-c",
        "import sys; print(open(sys.argv[1]).read())",
        str(hub.service_dir / "challenges" / CID / "hidden" / "test_add_hidden.py"),
    )  # fmt: skip
    assert SECRET in control.stdout


def test_a_browser_signs_in_to_the_service_through_the_hubs_oauth(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect())

    def location(path: str) -> tuple[int, str]:
        try:
            with opener.open(hub.url + path, timeout=60) as reply:
                return reply.status, ""
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "")

    # The hub's Services menu links to /services/codequest/: its page, behind OAuth.
    status, where = location("services/codequest/")
    assert status == 302 and where.split("?")[0].endswith("/services/codequest/codequest/"), where
    status, where = location("services/codequest/codequest/")
    assert status == 302 and "/hub/api/oauth2/authorize" in where, where
    assert "client_id=service-codequest" in where
    # Signed in (here with a token), the page says who and what.
    status, page, headers = hub.request("GET", "services/codequest/codequest/", learner["token"])
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert f"Signed in as <b>{learner['name']}</b> (learner)" in page


def test_a_browser_session_signs_in_at_the_hub_and_reaches_the_service(hub: HubEnv) -> None:
    """Log-in form, the hub's OAuth, the service's cookie: a browser's whole journey."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    name = hub.learners[1]
    with browser.open(hub.url + "hub/login", timeout=60) as reply:
        form = reply.read().decode()
    xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', form)
    assert xsrf, form[:2000]
    fields = {"username": name, "password": "codequest-test", "_xsrf": xsrf.group(1)}
    next_url = urllib.parse.quote("/services/codequest/codequest/")
    with browser.open(
        hub.url + f"hub/login?next={next_url}",
        data=urllib.parse.urlencode(fields).encode(),
        timeout=120,
    ) as reply:
        page, landed = reply.read().decode(), reply.geturl()  # fmt: skip
    assert landed.split("?")[0].endswith("/services/codequest/codequest/"), landed
    assert f"Signed in as <b>{name}</b> (learner)" in page
    # The service's own cookie now authenticates the API...
    with browser.open(hub.url + f"services/codequest/{API}info", timeout=60) as reply:
        info = json.loads(reply.read())
    assert info["user"] == name and info["instructor"] is False
    # ...and a cookie alone does not make a POST (cross-site request forgery).
    request = urllib.request.Request(
        hub.url + f"services/codequest/{API}challenges/{CID}/submissions",
        data=json.dumps({"mode": "run", "notebook": wrong_and_right()[1]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        browser.open(request, timeout=60)
        status, body = 200, ""
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read().decode()
    assert status == 403 and "_xsrf" in body, body
