"""Static checks of docker/: the Dockerfile, entrypoint and compose files, without Docker.

Nothing is built here. The Dockerfile is parsed into instructions, the compose files
are loaded with PyYAML (after Compose-style `${VAR}` interpolation), and the
entrypoint is syntax-checked and run against a fake `kindred` executable.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = ROOT / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
DOCKERIGNORE = DOCKER_DIR / "Dockerfile.dockerignore"
ENTRYPOINT = DOCKER_DIR / "entrypoint.sh"
COMPOSE = DOCKER_DIR / "compose.yml"
COMPOSE_PG = DOCKER_DIR / "compose.postgres.yml"
COMPOSE_FILES = [COMPOSE, COMPOSE_PG]

SERVE_CMD = ["kindred", "serve", "--host", "0.0.0.0", "--port", "8000"]
TEST_ENV = {"KINDRED_DB_PASSWORD": "0123456789abcdef"}


# --------------------------------------------------------------------------- Dockerfile


@dataclass(frozen=True)
class Instruction:
    name: str  # upper-cased keyword
    args: str  # everything after the keyword, continuations joined
    line: int  # 1-based line the instruction starts on

    def flags_and_rest(self) -> tuple[dict[str, str], str]:
        """Split leading `--flag=value` options off the arguments."""
        flags: dict[str, str] = {}
        rest = self.args
        while True:
            m = re.match(r"--([a-z-]+)(?:=(\S*))?\s+", rest)
            if not m:
                return flags, rest
            flags[m.group(1)] = m.group(2) or ""
            rest = rest[m.end() :]

    def exec_form(self) -> list[str] | None:
        """The JSON (exec) form of the arguments after any flags, or None for shell form."""
        _, rest = self.flags_and_rest()
        if not rest.startswith("["):
            return None
        value = json.loads(rest)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), self
        return value


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order. Handles `\\` continuations and comment lines inside them."""
    instructions: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        # Comment lines (including parser directives) and blank lines are dropped, even
        # in the middle of a continued instruction, as Docker does.
        if not stripped or stripped.startswith("#"):
            continue
        if not parts:
            start = number
        if stripped.endswith("\\"):
            parts.append(stripped[:-1].strip())
            continue
        parts.append(stripped)
        joined = " ".join(p for p in parts if p)
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        parts = []
    assert not parts, "the Dockerfile ends in the middle of a continued instruction"
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions:
        if ins.name == "FROM":
            result.append([])
        assert result, f"{ins.name} on line {ins.line} comes before the first FROM"
        result[-1].append(ins)
    return result


def copy_sources_and_dest(ins: Instruction) -> tuple[dict[str, str], list[str], str]:
    flags, rest = ins.flags_and_rest()
    words = ins.exec_form() if rest.startswith("[") else shlex.split(rest)
    assert words is not None and len(words) >= 2, f"{ins.name} on line {ins.line}: {ins.args}"
    return flags, words[:-1], words[-1]


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    return stages(instructions)[-1]


def _one(stage: list[Instruction], name: str) -> Instruction:
    found = [i for i in stage if i.name == name]
    assert len(found) == 1, f"expected exactly one {name} in the final stage, found {found}"
    return found[0]


def test_parser_handles_continuations_and_comments() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM python:3.11-slim AS build\n"
        "RUN a \\\n"
        "    # a comment inside the continuation\n"
        "    && b \\\n"
        "\n"
        "    && c\n"
        'CMD ["x", "y"]\n'
    )
    parsed = parse_dockerfile(text)
    assert [(i.name, i.args, i.line) for i in parsed] == [
        ("FROM", "python:3.11-slim AS build", 2),
        ("RUN", "a && b && c", 3),
        ("CMD", '["x", "y"]', 8),
    ]
    assert parsed[2].exec_form() == ["x", "y"]
    copy = Instruction("COPY", "--from=build --chmod=0755 /a /b /dest/", 1)
    assert copy_sources_and_dest(copy) == (
        {"from": "build", "chmod": "0755"},
        ["/a", "/b"],
        "/dest/",
    )


def test_every_stage_starts_from_python_3_11_slim(instructions: list[Instruction]) -> None:
    assert instructions[0].name == "FROM"
    froms = [i for i in instructions if i.name == "FROM"]
    for ins in froms:
        image = ins.args.split()[0]
        assert image == "python:3.11-slim", f"line {ins.line}: {ins.args}"


def test_runs_as_a_non_root_user(final_stage: list[Instruction]) -> None:
    names = [i.name for i in final_stage]
    assert "ENTRYPOINT" in names or "CMD" in names
    first_start = min(names.index(n) for n in ("ENTRYPOINT", "CMD") if n in names)
    users = [i for i in final_stage[:first_start] if i.name == "USER"]
    assert users, "no USER before ENTRYPOINT/CMD in the final stage"
    assert not [i for i in final_stage[first_start:] if i.name == "USER"]
    user, _, group = users[-1].args.partition(":")
    assert user not in {"root", "0", ""}
    assert group not in {"root", "0"}
    # The user is created in the image with a fixed uid.
    runs = " ".join(i.args for i in final_stage if i.name == "RUN")
    assert re.search(r"useradd\b.*\bkindred\b", runs)
    uid = user if user.isdigit() else None
    if uid is None:
        m = re.search(r"useradd\b.*--uid[ =](\d+)", runs)
        assert m, "the kindred user needs a fixed uid"
        uid = m.group(1)
    assert re.search(rf"--uid[ =]{uid}\b", runs)
    assert int(uid) >= 1000


def test_data_volume_env_and_port(final_stage: list[Instruction]) -> None:
    volume = _one(final_stage, "VOLUME")
    volumes = volume.exec_form() or volume.args.split()
    assert volumes == ["/data"]

    env: dict[str, str] = {}
    for ins in final_stage:
        if ins.name == "ENV":
            for word in shlex.split(ins.args):
                key, sep, value = word.partition("=")
                assert sep, f"use ENV KEY=value (line {ins.line})"
                env[key] = value
    assert env.get("KINDRED_DATA_DIR") == "/data"

    exposed = [w for i in final_stage if i.name == "EXPOSE" for w in i.args.split()]
    assert {"8000", "8000/tcp"} & set(exposed)

    # /data must exist and belong to the runtime user before it is declared a volume,
    # so a fresh named volume starts out writable by that user.
    index = final_stage.index(volume)
    before = " ".join(i.args for i in final_stage[:index] if i.name == "RUN")
    assert re.search(r"mkdir\b[^&;]*/data\b", before)
    assert re.search(r"chown\b[^&;]*/data\b", before)


def test_healthcheck_uses_urllib_against_healthz(final_stage: list[Instruction]) -> None:
    health = _one(final_stage, "HEALTHCHECK")
    flags, rest = health.flags_and_rest()
    assert set(flags) <= {"interval", "timeout", "start-period", "start-interval", "retries"}
    assert rest.startswith("CMD ")
    command = json.loads(rest.removeprefix("CMD ").strip())
    assert command[0] in {"python", "python3"} and command[1] == "-c"
    code = command[2]
    compile(code, "<HEALTHCHECK>", "exec")
    assert "urllib" in code
    assert "http://127.0.0.1:8000/healthz" in code
    assert "curl" not in health.args and "wget" not in health.args


def test_entrypoint_and_cmd(final_stage: list[Instruction]) -> None:
    entrypoint = _one(final_stage, "ENTRYPOINT").exec_form()
    assert entrypoint is not None, "use the exec form so the server gets signals"
    cmd = _one(final_stage, "CMD").exec_form()
    assert cmd == SERVE_CMD
    # The ENTRYPOINT is the copied docker/entrypoint.sh, installed executable.
    copies = [copy_sources_and_dest(i) for i in final_stage if i.name == "COPY"]
    matching = [(flags, dest) for flags, srcs, dest in copies if srcs == ["docker/entrypoint.sh"]]
    assert matching, "docker/entrypoint.sh is not copied into the final stage"
    flags, dest = matching[0]
    assert entrypoint == [dest]
    assert flags.get("chmod", "").endswith("755")


def _dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [ln.strip().rstrip("/") for ln in lines if ln.strip() and not ln.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Rough .dockerignore matching: a path is out if it or a parent matches a pattern."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.removeprefix("!").removeprefix("/")
        if any(fnmatch.fnmatchcase(p, pat) for p in prefixes):
            result = not negate
    return result


def test_copy_and_add_sources_exist_in_the_build_context(instructions: list[Instruction]) -> None:
    patterns = _dockerignore_patterns()
    checked = 0
    for ins in instructions:
        if ins.name not in {"COPY", "ADD"}:
            continue
        flags, sources, _ = copy_sources_and_dest(ins)
        if "from" in flags:  # from another stage or image, not the build context
            continue
        matched_any = False
        for src in sources:
            assert not src.startswith(("/", "..")), f"line {ins.line}: {src} leaves the context"
            if ins.name == "ADD" and re.match(r"[a-z]+://", src):
                matched_any = True
                continue
            if any(ch in src for ch in "*?["):
                matches = [p.relative_to(ROOT).as_posix() for p in ROOT.glob(src)]
            else:
                assert (ROOT / src).exists(), f"line {ins.line}: {src} is not in the context"
                matches = [src]
            for match in matches:
                assert not _ignored(match, patterns), f"{match} is excluded by the ignore file"
            matched_any = matched_any or bool(matches)
            checked += 1
        assert matched_any, f"line {ins.line}: no source of {ins.args!r} exists"
    assert checked


def test_every_packaged_directory_is_copied(instructions: list[Instruction]) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    includes = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*").rstrip(".") for pattern in includes}
    copied: set[str] = set()
    for ins in instructions:
        if ins.name == "COPY":
            flags, sources, _ = copy_sources_and_dest(ins)
            if "from" not in flags:
                copied.update(s.rstrip("/") for s in sources)
    assert "pyproject.toml" in copied
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
    build_stage = stages(instructions)[0]
    assert any("pip install ." in i.args for i in build_stage if i.name == "RUN")


def test_dockerignore_excludes_local_clutter() -> None:
    patterns = _dockerignore_patterns()
    for path in [".venv", "data", ".git", "artifacts", "node_modules", "docker/.env"]:
        assert _ignored(path, patterns), f"{path} is not ignored"
    for path in ["forum/__pycache__", "themes/default/__pycache__/x.pyc", "x/node_modules/y"]:
        assert _ignored(path, patterns), f"{path} is not ignored"
    for path in ["pyproject.toml", "forum/settings.py", "docker/entrypoint.sh"]:
        assert not _ignored(path, patterns), f"{path} is wrongly ignored"


# --------------------------------------------------------------------------- entrypoint


def test_entrypoint_script_is_executable_and_well_formed() -> None:
    assert ENTRYPOINT.is_file()
    assert os.access(ENTRYPOINT, os.X_OK), "docker/entrypoint.sh is not executable"
    text = ENTRYPOINT.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert re.search(r"^set -eu$", text, re.MULTILINE)
    assert "kindred migrate" in text
    assert "kindred serve" in text
    assert re.search(r"^exec ", text, re.MULTILINE)
    result = subprocess.run(["bash", "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("dash") is None, reason="dash is not installed")
def test_entrypoint_is_posix_sh() -> None:
    """Debian's /bin/sh is dash, which is stricter than bash."""
    result = subprocess.run(["dash", "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _run_entrypoint(
    tmp_path: Path, *args: str, fail_migrate: bool = False
) -> tuple[int, list[str]]:
    """Run the entrypoint with a fake `kindred` on PATH that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "calls.log"
    fake = bin_dir / "kindred"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        f'if [ "$1" = migrate ] && [ "{int(fail_migrate)}" = 1 ]; then exit 3; fi\n'
        "exit 0\n"
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    sh = shutil.which("sh") or "/bin/sh"
    result = subprocess.run(
        [sh, str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=30
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result.returncode, calls


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell needed")
def test_entrypoint_migrates_then_serves(tmp_path: Path) -> None:
    assert _run_entrypoint(tmp_path) == (0, ["migrate", " ".join(SERVE_CMD[1:])])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell needed")
def test_entrypoint_with_the_image_cmd(tmp_path: Path) -> None:
    assert _run_entrypoint(tmp_path, *SERVE_CMD) == (0, ["migrate", " ".join(SERVE_CMD[1:])])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell needed")
def test_entrypoint_migrates_before_init(tmp_path: Path) -> None:
    args = ["kindred", "init", "--admin", "alice", "--admin-passphrase-file", "/run/p"]
    assert _run_entrypoint(tmp_path, *args) == (0, ["migrate", " ".join(args[1:])])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell needed")
def test_entrypoint_runs_other_commands_as_given(tmp_path: Path) -> None:
    assert _run_entrypoint(tmp_path, "kindred", "migrate") == (0, ["migrate"])
    assert _run_entrypoint(tmp_path / "other", "true") == (0, [])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell needed")
def test_entrypoint_does_not_serve_after_a_failed_migration(tmp_path: Path) -> None:
    code, calls = _run_entrypoint(tmp_path, fail_migrate=True)
    assert code == 3
    assert calls == ["migrate"]


# --------------------------------------------------------------------------- compose

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)")


class MissingVariable(Exception):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose-style `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$` substitution."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def replace(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op in {":-", "-"}:
            return arg if unset else str(current)
        if op in {":?", "?"}:
            if unset:
                raise MissingVariable(f"{name}: {arg}")
            return str(current)
        return current or ""

    return _VAR.sub(replace, value)


def load_compose(path: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text())
    assert isinstance(raw, dict)
    return interpolate(raw, TEST_ENV if env is None else env)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def test_interpolation_helper() -> None:
    env = {"A": "1", "E": ""}
    assert interpolate("${A}-${B:-x}-${E:-y}-${E-z}-$$A-$A", env) == "1-x-y--$A-1"
    with pytest.raises(MissingVariable):
        interpolate("${E:?set E}", env)


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_file_parses_and_builds_the_real_dockerfile(path: Path) -> None:
    compose = load_compose(path)
    services = compose["services"]
    built = [s for s in services.values() if "build" in s]
    assert len(built) == 1
    build = built[0]["build"]
    context = (path.parent / build["context"]).resolve()
    assert context == ROOT
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_ports_bind_only_loopback(path: Path) -> None:
    for name, service in load_compose(path)["services"].items():
        for port in service.get("ports", []):
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            else:
                host_ip, _, rest = str(port).partition(":")
                assert host_ip == "127.0.0.1" and rest.count(":") == 1, f"{name}: {port}"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_named_volumes_are_declared(path: Path) -> None:
    compose = load_compose(path)
    declared = set(compose.get("volumes") or {})
    used: set[str] = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                if volume.get("type", "volume") != "volume":
                    continue
                source = volume.get("source")
            else:
                source = str(volume).split(":")[0] if ":" in str(volume) else None
            if source is None or source.startswith((".", "/", "~", "$")):
                continue  # anonymous volume or bind mount
            assert source in declared, f"{name} uses undeclared volume {source}"
            used.add(source)
    assert used == declared, f"declared but unused: {sorted(declared - used)}"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_kindred_service_keeps_data_and_image_healthcheck(path: Path) -> None:
    services = load_compose(path)["services"]
    (service,) = [s for s in services.values() if "build" in s]
    assert any(str(v).split(":")[1:2] == ["/data"] for v in service.get("volumes", []))
    assert "8000" in [str(p).rsplit(":", 1)[-1] for p in service.get("ports", [])]
    health = service.get("healthcheck")
    assert health is None or not health.get("disable"), "the image HEALTHCHECK is overridden"


def test_sqlite_compose_has_one_kindred_service() -> None:
    compose = load_compose(COMPOSE)
    assert list(compose["services"]) == ["kindred"]
    env = environment(compose["services"]["kindred"])
    assert "KINDRED_DATABASE_URL" not in env  # default: SQLite in /data


def test_postgres_compose_services() -> None:
    compose = load_compose(COMPOSE_PG)
    services = compose["services"]
    assert set(services) == {"db", "web", "worker"}

    db = services["db"]
    assert db["image"] == "postgres:16"
    assert "ports" not in db
    db_env = environment(db)
    assert db_env["POSTGRES_USER"] == "kindred"
    assert db_env["POSTGRES_DB"] == "kindred"
    assert db_env["POSTGRES_PASSWORD"] == TEST_ENV["KINDRED_DB_PASSWORD"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    test = db["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))

    web = services["web"]
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    url = environment(web)["KINDRED_DATABASE_URL"]
    assert url.startswith("postgres://")
    parts = urlsplit(url)
    assert parts.hostname == "db"
    assert parts.port == 5432
    assert parts.username == db_env["POSTGRES_USER"]
    assert parts.password == db_env["POSTGRES_PASSWORD"]
    assert parts.path == "/" + db_env["POSTGRES_DB"]

    # The queues are the worker service's; the web processes only serve.
    assert environment(web)["KINDRED_RUN_WORKERS"] == "false"
    assert web["command"][-2:] == ["--workers", "1"]  # KINDRED_WEB_PROCESSES unset
    worker = services["worker"]
    assert worker["command"] == ["kindred", "worker"]
    assert worker["image"] == web["image"]
    assert worker["depends_on"]["web"]["condition"] == "service_healthy"
    assert environment(worker)["KINDRED_DATABASE_URL"] == url
    assert "ports" not in worker
    assert worker["cap_drop"] == ["ALL"]


def test_the_number_of_web_processes_is_a_setting() -> None:
    compose = load_compose(COMPOSE_PG, env={**TEST_ENV, "KINDRED_WEB_PROCESSES": "3"})
    assert compose["services"]["web"]["command"][-2:] == ["--workers", "3"]


def test_postgres_password_is_required_not_hard_coded() -> None:
    raw = yaml.safe_load(COMPOSE_PG.read_text())
    db_env = environment(raw["services"]["db"])
    web_env = environment(raw["services"]["web"])
    required = "${KINDRED_DB_PASSWORD:?"
    assert db_env["POSTGRES_PASSWORD"].startswith(required)
    assert required in web_env["KINDRED_DATABASE_URL"]
    with pytest.raises(MissingVariable):
        load_compose(COMPOSE_PG, env={})
    with pytest.raises(MissingVariable):
        load_compose(COMPOSE_PG, env={"KINDRED_DB_PASSWORD": ""})
    load_compose(COMPOSE, env={})  # the SQLite file needs no variables


def test_readme_covers_both_compose_files() -> None:
    text = (DOCKER_DIR / "README.md").read_text()
    for needle in ["compose.yml", "compose.postgres.yml", "kindred init", "/data", "ackup"]:
        assert needle in text, needle
