"""A pseudo-locale for a real `kindred serve`, made from forum/locale/kindred.pot.

In-process tests swap `forum.i18n.translations` (tests.pseudo_locale); a server in its own
process cannot be reached that way. Instead the test writes a catalog directory of its
own: the shipped languages (linked, unchanged) and one more, PSEUDO_LOCALE, whose
kindred.po says every message of the template inside ⟦…⟧, plural forms and messages with
a context included, placeholders kept. Made from the .pot at test time, it covers every
string added later without anyone regenerating it.

The server is started through `python -m tests.browser.pseudo_catalog LOCALE_DIR <kindred
arguments>`: the one thing it changes is the directory forum.catalogs reads, so finding
the languages, reading and compiling the .po, negotiating Accept-Language and writing
<html lang dir> are all the production code's own. (No setting for this in production:
an operator adds a language by adding its catalog under forum/locale, README.)

PSEUDO_LOCALE is a tag Babel knows (dates and numbers are formatted through CLDR for the
page's language, so a private tag such as "en-XA" would fail there): "en-001", English
for the world, a variant no one ships a catalog for since English is the source.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from tests.browser.servers import LOOPBACK, ForumServer, _kindred, _wait_healthy, free_port
from tests.pseudo_locale import CLOSE, OPEN

PSEUDO_LOCALE = "en-001"
REPO = Path(__file__).resolve().parents[2]


def shipped_locale_dir() -> Path:
    from forum.i18n import LOCALE_DIR

    return LOCALE_DIR


def mark(message: str) -> str:
    return f"{OPEN}{message}{CLOSE}"


def pseudo_catalog(template: Path, locale: str = PSEUDO_LOCALE) -> Catalog:
    """Every message of `template` (a .pot) inside the marks, for `locale`."""
    with template.open("rb") as source:
        pot = read_po(source)
    catalog = Catalog(locale=locale.replace("-", "_"), domain=pot.domain, fuzzy=False)
    for message in pot:
        if not message.id:
            continue  # the header
        if isinstance(message.id, tuple | list):
            singular, plural = message.id[0], message.id[1]
            forms = [mark(singular)] + [mark(plural)] * (catalog.num_plurals - 1)
            catalog.add(message.id, tuple(forms), context=message.context, flags=message.flags)
        else:
            catalog.add(message.id, mark(message.id), context=message.context, flags=message.flags)
    return catalog


def write_locale_dir(target: Path, locale: str = PSEUDO_LOCALE) -> Path:
    """`target` as a catalog directory: the shipped languages and the pseudo one."""
    shipped = shipped_locale_dir()
    target.mkdir(parents=True, exist_ok=True)
    for language in shipped.iterdir():
        if language.is_dir():
            (target / language.name).symlink_to(language, target_is_directory=True)
    messages = target / locale / "LC_MESSAGES"
    messages.mkdir(parents=True)
    with (messages / "kindred.po").open("wb") as out:
        write_po(out, pseudo_catalog(shipped / "kindred.pot", locale))
    return target


def start_forum_with_catalogs(
    data_dir: Path, boards: list[tuple[str, str]], locale_dir: Path
) -> ForumServer:
    """As tests.browser.servers.start_forum, but `kindred serve` reads `locale_dir`."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    env = {
        **os.environ,
        "KINDRED_DATA_DIR": str(data_dir),
        "KINDRED_PUBLIC_URL": url,
        "KINDRED_LOG_LEVEL": "warning",
    }
    env.pop("KINDRED_CONFIG", None)
    env.pop("KINDRED_DATABASE_URL", None)
    from tests.browser.servers import ADMIN_HANDLE, ADMIN_PASSPHRASE

    passphrase_file = data_dir / "admin-passphrase"
    passphrase_file.write_text(ADMIN_PASSPHRASE + "\n")
    _kindred(env, "migrate")
    _kindred(env, "init", "--admin", ADMIN_HANDLE, "--admin-passphrase-file", str(passphrase_file))
    for slug, title in boards:
        _kindred(
            env,
            "board",
            "create",
            slug,
            "--title",
            title,
            "--description",
            f"A place to talk about {title.lower()}.",
            "--premod",
            "0",
        )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.browser.pseudo_catalog", str(locale_dir)),
            *("serve", "--host", LOOPBACK, "--port", str(port)),
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = ForumServer(url=url, data_dir=data_dir, process=process, log=log)
    try:
        _wait_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def main(argv: list[str]) -> int:
    """`kindred` with forum.catalogs reading argv[0] instead of forum/locale."""
    import forum.catalogs
    from forum.cli import main as kindred

    # The module's own name for the directory, read on every lookup (catalog_path,
    # available_locales): set before the server has looked anything up.
    forum.catalogs.LOCALE_DIR = Path(argv[0])  # type: ignore[attr-defined]
    return kindred(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
