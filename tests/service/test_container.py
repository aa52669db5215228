"""The image contract, without a Docker engine: the Dockerfile's invariants, read statically, and the
server started exactly as the image's CMD starts it (same config file, same environment) against the
real database, checking that it writes nothing outside the declared volume.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .conftest import closed_port

SERVICE_DIR = Path(__file__).resolve().parents[2] / "service"
DOCKERFILE = SERVICE_DIR / "Dockerfile"
VENV_PREFIX = Path(sys.prefix)
STARTUP_TIMEOUT = 30  # seconds


@dataclass
class Stage:
    base: str
    platform: str | None
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            for token in shlex.split(args):
                key, _, value = token.partition("=")
                values[key] = value
        return values


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "FROM":
            platform_match = re.search(r"--platform=(\S+)", rest)
            words = [w for w in rest.split() if not w.startswith("--")]
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), ""), words[0])
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=base, platform=platform_match.group(1) if platform_match else None, name=name))
        elif keyword == "ARG" and not stages:
            key, _, value = rest.partition("=")
            args[key] = value
        elif stages:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE.read_text())[1]


@pytest.fixture(scope="module")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"use the exec (JSON) form, not a shell string: {args}"
    return [str(v) for v in value]


# --- static invariants -------------------------------------------------------------------------------


def test_every_stage_builds_for_linux_amd64(stages: list[Stage]) -> None:
    # Fargate and the task definition's runtime platform are linux/amd64; an arm64 image would not start.
    assert stages
    assert [s.platform for s in stages] == ["linux/amd64"] * len(stages)


def test_base_images_are_pinned_versions(stages: list[Stage]) -> None:
    for stage in stages:
        assert ":" in stage.base, f"{stage.base} has no tag"
        repository, _, tag = stage.base.partition("@")[0].rpartition(":")
        assert tag != "latest", f"{stage.base} floats"
        # An exact patch version (X.Y.Z) or a digest; a tag like 3.11-slim moves under us.
        assert "@sha256:" in stage.base or re.match(r"^\d+\.\d+\.\d+(-[a-z0-9.-]+)?$", tag), stage.base
        assert repository


def test_runs_as_a_numeric_non_root_user(runtime: Stage) -> None:
    users = runtime.all("USER")
    assert users, "the runtime stage must set USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit(), "numeric uid, so the runtime can check non-root without /etc/passwd"
    assert int(uid) >= 1000
    assert gid == "" or (gid.isdigit() and int(gid) != 0)


def test_health_check_uses_the_interpreter(runtime: Stage) -> None:
    checks = runtime.all("HEALTHCHECK")
    assert len(checks) == 1
    command = checks[0].split(" CMD ", 1)
    assert len(command) == 2, "HEALTHCHECK must run a command"
    assert exec_form(command[1]) == ["python", "-m", "polls.healthcheck"]


def test_read_only_root_filesystem_settings(runtime: Stage) -> None:
    env = runtime.env()
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    volumes = [
        v for args in runtime.all("VOLUME") for v in (json.loads(args) if args.startswith("[") else args.split())
    ]
    assert "/tmp" in volumes  # noqa: S108 -- asserting the declared scratch volume
    # gunicorn's worker heartbeat directory must be inside a declared volume.
    config = (SERVICE_DIR / "gunicorn.conf.py").read_text()
    match = re.search(r'^worker_tmp_dir = "([^"]+)"', config, re.MULTILINE)
    assert match, "gunicorn.conf.py must set worker_tmp_dir"
    assert any(match.group(1) == v or match.group(1).startswith(v.rstrip("/") + "/") for v in volumes)
    assert re.search(r"^control_socket_disable = True", config, re.MULTILINE), "the control socket writes to $HOME"


def test_port_and_command(runtime: Stage) -> None:
    assert runtime.all("EXPOSE") == ["8080"]
    assert runtime.env().get("PORT") == "8080"
    command = exec_form(runtime.all("CMD")[-1])
    assert command[:3] == ["gunicorn", "--config", "gunicorn.conf.py"]


def test_build_context_holds_what_the_dockerfile_copies(stages: list[Stage]) -> None:
    ignore = (SERVICE_DIR / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for stage in stages:
        for args in stage.all("COPY"):
            if args.startswith("--from"):
                continue
            source = args.split()[0]
            assert (SERVICE_DIR / source).exists(), source
            assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"


# --- the server as the image runs it -------------------------------------------------------------------


def container_environment(runtime: Stage, app_dir: Path, home: Path, extra: dict[str, str]) -> dict[str, str]:
    """The image's ENV with its paths mapped onto this machine, plus what ECS would inject."""
    mapping = {"/opt/venv": str(VENV_PREFIX), "/app": str(app_dir)}
    env: dict[str, str] = {}
    for key, image_value in runtime.env().items():
        local_value = image_value.replace("$PATH", os.environ.get("PATH", "/usr/bin:/bin"))
        for image_path, local_path in mapping.items():
            local_value = local_value.replace(image_path, local_path)
        env[key] = local_value
    # Nothing may be written under HOME: point it at a directory the test inspects afterwards.
    env["HOME"] = str(home)
    env.update(extra)
    return env


def snapshot(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def get(url: str, timeout: float = 3) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 -- local test server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def post(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 -- local test server
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 -- local test server
        return response.status, json.loads(response.read())


@dataclass
class Container:
    process: subprocess.Popen[str]
    app_dir: Path
    home: Path
    env: dict[str, str]
    base_url: str


@pytest.fixture
def image_root(tmp_path: Path, runtime: Stage) -> Path:
    """The image's WORKDIR, filled by the runtime stage's COPY instructions from the build context."""
    workdirs = runtime.all("WORKDIR")
    assert workdirs == ["/app"]
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    for args in runtime.all("COPY"):
        if args.startswith("--from"):
            continue
        source, destination = args.split()
        target = app_dir / destination.removeprefix("./")
        if (SERVICE_DIR / source).is_dir():
            shutil.copytree(SERVICE_DIR / source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(SERVICE_DIR / source, target)
    return app_dir


def start(runtime: Stage, app_dir: Path, home: Path, extra: dict[str, str]) -> subprocess.Popen[str]:
    env = container_environment(runtime, app_dir, home, extra)
    command = exec_form(runtime.all("CMD")[-1])
    executable = shutil.which(command[0], path=env["PATH"])
    assert executable, f"{command[0]} not on the image's PATH"
    return subprocess.Popen(
        [executable, *command[1:]],
        cwd=app_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def container(
    image_root: Path, runtime: Stage, migrated_db: str, db_env: dict[str, str], tmp_path: Path
) -> Iterator[Container]:
    home = tmp_path / "home"
    home.mkdir()
    port = closed_port()
    extra = {**db_env, "PORT": str(port), "WEB_CONCURRENCY": "2", "WEB_THREADS": "2"}
    process = start(runtime, image_root, home, extra)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            output = process.communicate()[0]
            pytest.fail(f"server exited with {process.returncode} during startup:\n{output}")
        try:
            if get(f"{base_url}/healthz", timeout=1)[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"server did not answer /healthz within {STARTUP_TIMEOUT} seconds:\n{process.communicate()[0]}")
        time.sleep(0.2)
    try:
        yield Container(process, image_root, home, container_environment(runtime, image_root, home, extra), base_url)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_server_runs_as_the_image_runs_it(container: Container, runtime: Stage, db_env: dict[str, str]) -> None:
    before = snapshot(container.app_dir)

    # The API end to end, over HTTP, through gunicorn
    assert get(f"{container.base_url}/readyz") == (200, {"status": "ready"})
    status, poll = post(f"{container.base_url}/polls", {"question": "Ship it?", "options": ["yes", "no"]})
    assert status == 201
    yes = poll["options"][0]["id"]
    assert post(f"{container.base_url}/polls/{poll['id']}/votes", {"option_id": yes})[0] == 201
    status, results = get(f"{container.base_url}/polls/{poll['id']}/results")
    assert (status, results["total_votes"], results["options"][0]["votes"]) == (200, 1, 1)

    # The image's health-check command passes against the running server
    health = exec_form(runtime.all("HEALTHCHECK")[0].split(" CMD ", 1)[1])
    check = subprocess.run(
        [shutil.which(health[0], path=container.env["PATH"]) or health[0], *health[1:]],
        cwd=container.app_dir,
        env=container.env,
        capture_output=True,
        timeout=10,
        check=False,
    )
    assert check.returncode == 0, check.stderr

    # ECS stops a task with SIGTERM: the server drains and exits cleanly
    container.process.send_signal(signal.SIGTERM)
    output, _ = container.process.communicate(timeout=30)
    assert container.process.returncode == 0, output

    # Every line on stdout is one JSON object; request lines carry their fields; the password is absent
    entries = [json.loads(line) for line in output.splitlines()]
    requests = [e for e in entries if e.get("logger") == "polls.request"]
    assert {e["path"] for e in requests} >= {"/readyz", "/polls", f"/polls/{poll['id']}/results"}
    for entry in requests:
        assert {
            "timestamp",
            "level",
            "message",
            "request_id",
            "method",
            "path",
            "status",
            "duration_ms",
        } <= entry.keys()
    assert db_env["DB_PASSWORD"] not in output

    # Nothing was written outside the declared volume: not into the code, not into HOME
    assert snapshot(container.app_dir) == before
    assert list(container.home.iterdir()) == []


def test_missing_variable_stops_startup_with_its_name(
    image_root: Path, runtime: Stage, db_env: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in db_env.items() if k != "DB_HOST"}
    process = start(runtime, image_root, tmp_path, {**env, "PORT": str(closed_port())})
    output, _ = process.communicate(timeout=STARTUP_TIMEOUT)
    assert process.returncode == 2
    line = json.loads(output.strip().splitlines()[-1])
    assert line["level"] == "CRITICAL"
    assert "DB_HOST is required" in line["message"]


def test_unreachable_database_stops_startup(
    image_root: Path, runtime: Stage, db_env: dict[str, str], tmp_path: Path
) -> None:
    # Migrations run before the server binds: with no database the task exits, and ECS sees it fail.
    extra = {**db_env, "DB_PORT": str(closed_port()), "PORT": str(closed_port())}
    process = start(runtime, image_root, tmp_path, extra)
    output, _ = process.communicate(timeout=STARTUP_TIMEOUT)
    assert process.returncode != 0
    entries = [json.loads(line) for line in output.splitlines()]
    assert any(e["level"] == "CRITICAL" and "migration failed" in e["message"] for e in entries), output
    assert db_env["DB_PASSWORD"] not in output


def test_health_check_fails_when_nothing_answers(runtime: Stage, image_root: Path, tmp_path: Path) -> None:
    env = container_environment(runtime, image_root, tmp_path, {"PORT": str(closed_port())})
    health = exec_form(runtime.all("HEALTHCHECK")[0].split(" CMD ", 1)[1])
    check = subprocess.run(
        [shutil.which(health[0], path=env["PATH"]) or health[0], *health[1:]],
        cwd=image_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert check.returncode == 1
    assert "health check failed" in check.stderr
