"""Search benchmark: full-text queries over 1,000,000 posts on SQLite (issue 9, part 3).

    .venv/bin/python bench/search.py [--posts 1000000] [--queries 300]

Builds a throw-away database with `kindred migrate`, makes boards and members through the
services, then bulk-inserts threads, posts and their index rows with plain SQL (the
index rows hold what forum/search_index.py would write: the opener's title and the text).
Words follow a Zipf distribution over a vocabulary of a few thousand words, so a query
meets both very common and rare words. Every query goes through `search_posts` (the
service the web page calls, with its access rules and snippets) as a visitor, as a
member of a members-only board and for one board; as a baseline, the same run times a
trivial `SELECT 1` on the same connection and `GET /healthz` / `GET /search` through the
ASGI app. Prints p50/p95 and writes bench/results/search.json. Goal: p50 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for _path in (str(ROOT), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from thread_page import (  # noqa: E402
    RESULTS_DIR,
    fresh_database,
    kindred_command,
    machine_info,
    percentile,
    say,
)

GOAL_P50_MS = 50.0
POSTS_PER_THREAD = 40
BOARDS = [("daily", "public"), ("grief", "public"), ("anxiety", "public"), ("circle", "members")]
# Word lists as strings, split once (readable here; the lint prefers literals).
COMMON = (  # noqa: SIM905
    "the and to a i of it in that is was for my me with but have this so not be on you at "
    "just like about all what do can feel really when time know from one they would get "
    "today day help thank out how more been some think up if things now because people"
).split()
TOPICAL = (  # noqa: SIM905
    "sleep tired anxious anxiety grief loss mother father sister brother friend therapy "
    "therapist medication walk walking tea breathing morning night evening work job "
    "school panic calm garden dog cat music journal writing support group meeting doctor "
    "appointment hospital family holiday christmas birthday winter summer rain sunshine "
    "kitchen cooking soup bread coffee phone call message letter photo memory memories "
    "crying laughing hope hopeful scared lonely together alone strength gentle kindness "
    "boundaries routine habit progress setback relapse recovery sober sobriety craving "
    "meditation yoga swimming running cycling library book reading podcast movie"
).split()
SYLLABLES = "ka lo mi ne ru sa te vi zo ba de fi go hu ja ke li mo nu pa qi ro su ta".split()  # noqa: SIM905
PASSPHRASE = "bench quiet harbor lantern"


def vocabulary(rng: random.Random) -> list[str]:
    rare = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))) for _ in range(4000)}
    return COMMON + TOPICAL + sorted(rare)


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [*kindred_command(), "migrate"], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"kindred migrate failed: {done.stderr}")


async def make_people(env: dict[str, str]) -> dict[str, Any]:
    """Boards and members through the services; returns the ids the bulk insert needs."""
    from forum.db import close_database, open_database
    from forum.models import Board
    from forum.services.accounts import register
    from forum.services.boards import create_board
    from forum.services.personas import join_board
    from forum.services.viewer import Viewer
    from forum.settings import load_settings

    await open_database(load_settings(env))
    try:
        for slug, visibility in BOARDS:
            await create_board(
                None, slug=slug, title=slug.title(), visibility=visibility, premod_count=0
            )
        authors: dict[int, list[int]] = {}
        for n in range(12):
            account = (await register(f"bench-{n}", PASSPHRASE, bypass_mode=True)).account
            for slug, _ in BOARDS:
                persona = await join_board(slug, Viewer(account=account), accept_rules=True)
                authors.setdefault(persona.board_id, []).append(persona.actor_id)
        boards = {b.slug: b.id for b in await Board.all()}
        return {"boards": boards, "authors": authors}
    finally:
        await close_database()


def bulk_insert(path: Path, people: dict[str, Any], posts: int, rng: random.Random) -> None:
    """Threads, posts and index rows with plain SQL in one transaction (bounded time)."""
    words = vocabulary(rng)
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(words))]
    cumulative: list[float] = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    board_ids = list(people["boards"].values())
    authors: dict[int, list[int]] = {int(k): v for k, v in people["authors"].items()}
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    threads = -(-posts // POSTS_PER_THREAD)
    made = 0
    with db:
        for t in range(threads):
            board_id = board_ids[t % len(board_ids)]
            title = " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(3, 7)))
            title = title.capitalize()
            count = min(POSTS_PER_THREAD, posts - made)
            moment = (start + dt.timedelta(minutes=t)).isoformat()
            cursor = db.execute(
                "INSERT INTO thread (board_id, author_id, title, content_note, state, pinned, "
                "locked, slow_mode_seconds, post_count, last_activity_at, created_at) "
                "VALUES (?, ?, ?, '', 'visible', 0, 0, 0, ?, ?, ?)",
                (board_id, authors[board_id][t % 12], title, count, moment, moment),
            )
            thread_id = cursor.lastrowid
            rows = []
            for seq in range(1, count + 1):
                text = " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(8, 60)))
                # A few posts are held or removed: the query must filter them out.
                roll = rng.random()
                state = "removed" if roll < 0.01 else "held" if roll < 0.02 else "visible"
                rows.append(
                    (
                        thread_id,
                        seq,
                        authors[board_id][(t + seq) % 12],
                        text,
                        f"<p>{text}</p>",
                        state,
                        moment,
                    )
                )
            db.executemany(
                "INSERT INTO post (thread_id, seq, author_id, body_source, body_html, state, "
                "reaction_counts, crisis, mod_note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, '{}', 0, '', ?)",
                rows,
            )
            made += count
            if t % 2500 == 0:
                print(f"\r  posts {made:,}/{posts:,}", end="", file=sys.stderr, flush=True)
        print(f"\r  posts {made:,}/{posts:,}", file=sys.stderr, flush=True)
        # What index_post writes, done in SQL: the texts above are already plain text.
        db.execute(
            "INSERT INTO post_search (rowid, text) SELECT p.id, "
            "CASE WHEN p.seq = 1 THEN t.title || char(10) ELSE '' END || p.body_source "
            "FROM post p JOIN thread t ON t.id = p.thread_id"
        )
        db.execute("UPDATE board SET post_count = (SELECT COUNT(*) FROM post)")
    db.execute("INSERT INTO post_search (post_search) VALUES ('optimize')")
    db.execute("ANALYZE")
    db.close()


def queries(rng: random.Random, n: int) -> list[tuple[str, str, str | None]]:
    """(kind, query, board) triples: realistic mixes of common, topical and rare words."""
    words = vocabulary(random.Random(7))  # the same words as the data
    rare = words[len(COMMON) + len(TOPICAL) :]
    out: list[tuple[str, str, str | None]] = []
    kinds = ["common", "topical", "two words", "phrase", "exclusion", "rare", "one board"]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if kind == "common":
            q, board = rng.choice(COMMON[20:]), None
        elif kind == "topical":
            q, board = rng.choice(TOPICAL), None
        elif kind == "two words":
            q, board = f"{rng.choice(TOPICAL)} {rng.choice(TOPICAL)}", None
        elif kind == "phrase":
            q, board = f'"{rng.choice(COMMON)} {rng.choice(TOPICAL)}"', None
        elif kind == "exclusion":
            q, board = f"{rng.choice(TOPICAL)} -{rng.choice(COMMON)}", None
        elif kind == "rare":
            q, board = rng.choice(rare[:2000]), None
        else:
            q, board = rng.choice(TOPICAL), rng.choice(["daily", "grief", "anxiety"])
        out.append((kind, q, board))
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 50) * 1000, 2),
        "p95_ms": round(percentile(ordered, 95) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def measure(env: dict[str, str], n: int) -> dict[str, Any]:
    import httpx
    from tortoise.connection import get_connection

    from forum.db import close_database, open_database
    from forum.models import Account
    from forum.services.search import search_posts
    from forum.services.viewer import ANONYMOUS, Viewer
    from forum.settings import load_settings
    from forum.web.app import create_app

    settings = load_settings(env)
    await open_database(settings)
    try:
        conn = get_connection("default")
        member = Viewer(account=await Account.get(handle="bench-0"))
        plan = queries(random.Random(11), n)
        results: dict[str, list[float]] = {"SELECT 1 (baseline)": []}
        hits: dict[str, int] = {}
        for _ in range(3):  # warm the page cache and the statement cache
            await search_posts(ANONYMOUS, "tea")
        for i, (kind, q, board) in enumerate(plan):
            viewer = member if i % 2 else ANONYMOUS
            started = time.perf_counter()
            await conn.execute_query("SELECT 1")
            results["SELECT 1 (baseline)"].append(time.perf_counter() - started)
            started = time.perf_counter()
            page = await search_posts(viewer, q, board_slug=board)
            elapsed = time.perf_counter() - started
            results.setdefault("search: all queries", []).append(elapsed)
            results.setdefault(f"search: {kind}", []).append(elapsed)
            hits[kind] = hits.get(kind, 0) + len(page.hits)
            if page.next_cursor:  # the second page, as "More results" asks for it
                started = time.perf_counter()
                await search_posts(viewer, q, board_slug=board, cursor=page.next_cursor)
                results.setdefault("search: next page", []).append(time.perf_counter() - started)
        app = create_app(settings, manage_database=False)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            for _kind, q, board in plan[: max(50, n // 3)]:
                started = time.perf_counter()
                assert (await c.get("/healthz")).status_code == 200
                results.setdefault("GET /healthz (baseline)", []).append(
                    time.perf_counter() - started
                )
                params = {"q": q, **({"board": board} if board else {})}
                started = time.perf_counter()
                response = await c.get("/search", params=params)
                assert response.status_code == 200, response.text[:300]
                results.setdefault("GET /search", []).append(time.perf_counter() - started)
        await app.state.federation.aclose()
        return {
            "timings": {name: summary(values) for name, values in results.items()},
            "hits_per_kind": hits,
        }
    finally:
        await close_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    with fresh_database("sqlite") as (env, data_dir):
        say(f"Building a SQLite database with {args.posts:,} posts in {data_dir} ...")
        began = time.perf_counter()
        migrate(env)
        people = asyncio.run(make_people(env))
        bulk_insert(data_dir / "kindred.sqlite3", people, args.posts, random.Random(7))
        build = time.perf_counter() - began
        size = (data_dir / "kindred.sqlite3").stat().st_size
        say(f"  built in {build:.0f} s, {size / 2**20:,.0f} MiB")
        measured = asyncio.run(measure(env, args.queries))
    timings = measured["timings"]
    say(f"\n{'':28} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for name, row in timings.items():
        figures = f"{row['p50_ms']:9.2f} {row['p95_ms']:9.2f} {row['max_ms']:9.2f}"
        say(f"{name:28} {row['n']:5d} {figures}")
    p50 = timings["search: all queries"]["p50_ms"]
    ok = p50 <= GOAL_P50_MS
    say(
        f"\nsearch p50 {p50:.2f} ms over {args.posts:,} posts: goal <= {GOAL_P50_MS:.0f} ms "
        + ("met" if ok else "NOT met")
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = {
        "machine": machine_info(),
        "posts": args.posts,
        "build_seconds": round(build, 1),
        "database_mib": round(size / 2**20, 1),
        "goal_p50_ms": GOAL_P50_MS,
        "goal_met": ok,
        **measured,
    }
    (RESULTS_DIR / "search.json").write_text(json.dumps(out, indent=2) + "\n")
    say(f"wrote {RESULTS_DIR / 'search.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
