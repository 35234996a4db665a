from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.migrated import seed_sqlite

# The commands run on a data directory's SQLite database whatever the suite's database.
pytestmark = pytest.mark.sqlite_only

KINDRED = [sys.executable, "-m", "forum.cli"]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env["KINDRED_DATA_DIR"] = str(data_dir)
    return subprocess.run([*KINDRED, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli")
    secret = data / "pass.txt"
    secret.write_text("harbor lantern quiet morning\n")
    seed_sqlite(data)  # `init` migrates: start from the migrated schema (tests/migrated.py)
    result = run(data, "init", "--admin", "keeper", "--admin-passphrase-file", str(secret))
    assert result.returncode == 0, result.stderr
    assert "Admin 'keeper' created" in result.stdout
    assert len(re.findall(r"^  [a-z0-9]{4}-", result.stdout, re.M)) == 10
    return data


def test_board_create_and_duplicate(instance: Path) -> None:
    ok = run(instance, "board", "create", "grief", "--title", "Grief", "--visibility", "members")
    assert ok.returncode == 0 and "/b/grief" in ok.stdout
    again = run(instance, "board", "create", "grief", "--title", "Grief")
    assert again.returncode == 4 and "exists already" in again.stderr


def test_board_create_bad_slug_and_bad_choice(instance: Path) -> None:
    bad = run(instance, "board", "create", "Bad Slug", "--title", "X")
    assert bad.returncode == 4 and "slug" in bad.stderr
    wrong = run(instance, "board", "create", "x", "--title", "X", "--visibility", "secret")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


def test_invite_create_prints_codes(instance: Path) -> None:
    result = run(instance, "invite", "create", "--count", "3")
    assert result.returncode == 0
    assert len(re.findall(r"^[a-z0-9]{4}(-[a-z0-9]{4}){3}$", result.stdout, re.M)) == 3
    assert run(instance, "invite", "create", "--count", "0").returncode == 4
    missing = run(instance, "invite", "create", "--board", "nowhere")
    assert missing.returncode == 4 and "No board" in missing.stderr


def test_invite_create_for_a_board_prints_its_join_link(instance: Path) -> None:
    made = run(
        instance, "board", "create", "hidden", "--title", "Hidden", "--visibility", "private"
    )
    assert made.returncode == 0, made.stderr
    result = run(instance, "invite", "create", "--board", "hidden", "--count", "2")
    assert result.returncode == 0, result.stderr
    link = r"^http://127\.0\.0\.1:8000/b/hidden/join\?invite=[a-z0-9]{4}(?:-[a-z0-9]{4}){3}$"
    assert len(re.findall(link, result.stdout, re.M)) == 2, result.stdout


def test_admin_create_needs_a_readable_good_passphrase(instance: Path, tmp_path: Path) -> None:
    missing = run(instance, "admin", "create", "second", "--passphrase-file", str(tmp_path / "no"))
    assert missing.returncode == 4 and "Cannot read" in missing.stderr
    weak = tmp_path / "weak.txt"
    weak.write_text("password123\n")
    refused = run(instance, "admin", "create", "second", "--passphrase-file", str(weak))
    assert refused.returncode == 4 and "too easy" in refused.stderr
    good = tmp_path / "good.txt"
    good.write_text("a perfectly long passphrase\n")
    assert (
        run(instance, "admin", "create", "second", "--passphrase-file", str(good)).returncode == 0
    )


def test_usage_errors_exit_2(instance: Path) -> None:
    assert run(instance).returncode == 2
    assert run(instance, "frobnicate").returncode == 2
    assert run(instance, "board").returncode == 2
    assert run(instance, "serve", "--port", "notaport").returncode == 2


def test_bad_config_exits_3_with_a_sentence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(KINDRED_DATA_DIR=str(tmp_path), KINDRED_PUBLIC_URL="not a url")
    result = subprocess.run(
        [*KINDRED, "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3
    assert "KINDRED_PUBLIC_URL must be" in result.stderr


def test_board_federation_flags(instance: Path) -> None:
    made = run(instance, "board", "create", "open-board", "--title", "Open", "--federation", "open")
    assert made.returncode == 0 and "cannot be recalled" in made.stdout
    run(instance, "board", "create", "later", "--title", "Later")
    unconfirmed = run(instance, "board", "update", "later", "--federation", "publish")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    confirmed = run(instance, "board", "update", "later", "--federation", "publish", "--yes")
    assert confirmed.returncode == 0 and "federation publish" in confirmed.stdout
    private = run(instance, "board", "update", "later", "--visibility", "private")
    assert private.returncode == 0 and "federation off" in private.stdout
    bad = run(instance, "board", "update", "later", "--federation", "open", "--yes")
    assert bad.returncode == 4 and "Only public boards" in bad.stderr
    missing = run(instance, "board", "update", "nowhere", "--title", "X")
    assert missing.returncode == 4


def test_blocklist_import_dry_run_import_and_export(instance: Path, tmp_path: Path) -> None:
    header = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
    csv_file = tmp_path / "blocks.csv"
    csv_file.write_text(
        f"{header}\nbad.example,suspend,true,true,Harassment campaign,false\n"
        "noisy.example,silence,false,false,,false\nnot a domain,suspend,,,,\n"
    )
    dry = run(instance, "blocklist", "import", str(csv_file), "--dry-run")
    assert "Would add 2" in dry.stdout and "Dry run" in dry.stdout
    assert dry.returncode == 4 and "line 4" in dry.stderr
    exported = run(instance, "blocklist", "export")
    assert exported.stdout.strip() == header  # the dry run changed nothing
    applied = run(instance, "blocklist", "import", str(csv_file))
    assert "Added 2" in applied.stdout
    out = run(instance, "blocklist", "export").stdout.splitlines()
    assert out[0] == header
    assert "bad.example,suspend,true,true,Harassment campaign,false" in out
    missing = run(instance, "blocklist", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 4 and "Cannot read" in missing.stderr
