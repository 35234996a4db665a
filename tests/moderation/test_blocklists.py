from __future__ import annotations

import time
from collections.abc import Iterable

import pytest
from tortoise.exceptions import ValidationError

from federation.policy import DomainDecisions, domain_allowed
from forum.services.site import get_site_settings
from moderation.blocklists import (
    HEADER,
    MAX_BYTES,
    MAX_ROWS,
    BlocklistError,
    BlocklistTooLargeError,
    DomainChange,
    ImportPreview,
    LineNote,
    PolicyState,
    apply_import,
    decode_blocklist,
    export_blocklist,
    parse_blocklist,
    preview_import,
)
from moderation.models import DomainPolicy, Severity

MASTODON_HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
# As Mastodon 4 exports it: booleans spelled out, comments quoted only when they must be.
MASTODON_CSV = f"""{MASTODON_HEADER}
spam.example,suspend,true,true,Spam and harassment,false
loud.example,silence,false,false,"Unmoderated, mostly",false
pics.example,silence,true,false,,false
"""


async def _import(text: str) -> ImportPreview:
    preview = await preview_import(parse_blocklist(text), mode="merge")
    await apply_import(preview)
    return preview


async def _policies() -> dict[str, tuple[str, bool, bool, str]]:
    rows = await DomainPolicy.all().values_list(
        "domain", "severity", "reject_media", "reject_reports", "public_comment"
    )
    return {d: (Severity(s).value, m, r, c) for d, s, m, r, c in rows}


def _messages(notes: Iterable[LineNote]) -> list[str]:
    return [str(note) for note in notes]


async def test_export_reimports_to_the_same_policies_under_mastodons_header(db: None) -> None:
    await _import(MASTODON_CSV)
    first = await export_blocklist()
    assert first.splitlines()[0] == MASTODON_HEADER == ",".join(HEADER)
    assert first.splitlines()[1:] == [
        'loud.example,silence,false,false,"Unmoderated, mostly",false',
        "pics.example,silence,true,false,,false",
        "spam.example,suspend,true,true,Spam and harassment,false",
    ]
    stored = await _policies()
    await DomainPolicy.all().delete()
    await _import(first)
    assert await _policies() == stored
    assert await export_blocklist() == first


@pytest.mark.slow
async def test_a_20000_row_file_imports_in_one_go(db: None) -> None:
    lines = [MASTODON_HEADER]
    lines += [
        f"host{i}.example,{'silence' if i % 3 else 'suspend'},{str(i % 2 == 0).lower()},"
        f'false,"Reported {i} times, by many",false'
        for i in range(MAX_ROWS)
    ]
    text = "\n".join(lines) + "\n"
    started = time.perf_counter()
    parsed = parse_blocklist(text)
    parsed_at = time.perf_counter()
    preview = await preview_import(parsed, mode="merge")
    previewed_at = time.perf_counter()
    counts = await apply_import(preview)
    applied_at = time.perf_counter()
    exported = await export_blocklist()
    exported_at = time.perf_counter()
    again = await preview_import(parse_blocklist(exported), mode="replace")
    print(
        f"\n{MAX_ROWS} rows ({len(text.encode()) / 1024:.0f} KiB): "
        f"parse {parsed_at - started:.2f}s, preview {previewed_at - parsed_at:.2f}s, "
        f"apply {applied_at - previewed_at:.2f}s, export {exported_at - applied_at:.2f}s"
    )
    assert parsed.errors == [] and counts.added == MAX_ROWS
    assert await DomainPolicy.all().count() == MAX_ROWS
    assert len(exported.splitlines()) == MAX_ROWS + 1
    assert len(again.unchanged) == MAX_ROWS and not (again.added or again.changed or again.removed)


async def test_a_dry_run_preview_changes_nothing(db: None) -> None:
    await DomainPolicy.create(domain="old.example", severity=Severity.silence)
    await DomainPolicy.create(domain="spam.example", severity=Severity.silence)
    preview = await preview_import(parse_blocklist(MASTODON_CSV), mode="replace")
    assert [c.domain for c in preview.added] == ["loud.example", "pics.example"]
    assert preview.changed == [
        DomainChange(
            "spam.example",
            PolicyState(Severity.silence),
            PolicyState(Severity.suspend, True, True, "Spam and harassment"),
        )
    ]
    assert [str(c) for c in preview.changed + preview.removed] == [
        "~ spam.example: silence -> suspend, reject media, reject reports, 'Spam and harassment'",
        "- old.example: silence",
    ]
    assert await _policies() == {
        "old.example": ("silence", False, False, ""),
        "spam.example": ("silence", False, False, ""),
    }


async def test_merge_updates_listed_domains_and_keeps_the_rest(db: None) -> None:
    await DomainPolicy.create(domain="kept.example", severity=Severity.suspend)
    await DomainPolicy.create(
        domain="loud.example", severity=Severity.suspend, private_comment="our notes"
    )
    preview = await preview_import(parse_blocklist(MASTODON_CSV), mode="merge")
    await apply_import(preview, private_comment="From friends.example")
    assert (len(preview.added), len(preview.changed), preview.removed) == (2, 1, [])
    policies = await _policies()
    assert set(policies) == {"kept.example", "loud.example", "pics.example", "spam.example"}
    assert policies["loud.example"] == ("silence", False, False, "Unmoderated, mostly")
    private = dict(await DomainPolicy.all().values_list("domain", "private_comment"))
    assert private["loud.example"] == "our notes"
    assert private["spam.example"] == "From friends.example"
    again = await _import(MASTODON_CSV)
    assert len(again.unchanged) == 3 and not (again.added or again.changed)


async def test_replace_removes_blocks_the_file_lacks_but_keeps_allowed_partners(
    db: None,
) -> None:
    await DomainPolicy.create(domain="gone.example", severity=Severity.suspend)
    await DomainPolicy.create(domain="partner.example", severity=Severity.allow)
    counts = await apply_import(await preview_import(parse_blocklist(MASTODON_CSV), mode="replace"))
    assert (counts.added, counts.removed) == (3, 1)
    assert set(await _policies()) == {
        "partner.example",
        "loud.example",
        "pics.example",
        "spam.example",
    }
    assert "partner.example" not in await export_blocklist()


async def test_bad_lines_are_reported_by_line_and_the_good_ones_import(db: None) -> None:
    text = (
        f"{MASTODON_HEADER}\n"
        "good.example,suspend,false,false,,false\n"
        "not a domain,suspend,false,false,,false\n"
        "\n"
        "bad-severity.example,allow,false,false,,false\n"
        "bad-flag.example,silence,yes,false,,false\n"
        "commas.example,silence,false,false,unquoted, comment,false\n"
        'quotes.example,silence,false,false,"closed"early,false\n'
        "also-good.example,SILENCE,TRUE,False,,FALSE\n"
        'open.example,suspend,false,false,"never closed,false\n'
        "swallowed.example\n"
    )
    parsed = parse_blocklist(text)
    assert _messages(parsed.errors) == [
        "line 3: 'not a domain' is not a domain name",
        "line 5: severity 'allow' is not silence, suspend or noop",
        "line 6: reject_media must be true or false, not 'yes'",
        "line 7: 7 fields for the header's 6; quote any comment that has a comma",
        "line 8: not valid CSV (',' expected after '\"'); put quotes around the whole field",
        "line 10: a quote opened on this line is never closed, so lines 10-11 were not read",
    ]
    await apply_import(await preview_import(parsed))
    assert await _policies() == {
        "good.example": ("suspend", False, False, ""),
        "also-good.example": ("silence", True, False, ""),
    }


def test_files_over_the_row_or_byte_limit_are_refused() -> None:
    rows = "".join(f"host{i}.example\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(BlocklistTooLargeError, match="more than 20,000 entries"):
        parse_blocklist(rows)
    huge = "# padding\n" * (MAX_BYTES // 10 + 1)
    with pytest.raises(BlocklistTooLargeError, match="over 5 MiB"):
        parse_blocklist(huge)
    with pytest.raises(BlocklistTooLargeError, match="over 5 MiB"):
        decode_blocklist(huge.encode())


async def test_a_plain_list_of_domains_suspends_each(db: None) -> None:
    text = "# Our list\n\nspam.example\n  Loud.Example.  # shouts\r\nfine.example\n"
    await _import(text)
    assert await _policies() == {
        "spam.example": ("suspend", False, False, ""),
        "loud.example": ("suspend", False, False, ""),
        "fine.example": ("suspend", False, False, ""),
    }
    site = await get_site_settings()
    assert not await domain_allowed("social.loud.example", site)
    assert await domain_allowed("other.example", site)


async def test_mastodons_older_header_without_hashes_is_read(db: None) -> None:
    text = (
        "domain,severity,reject_media,reject_reports,public_comment,obfuscate\n"
        "old.example,silence,true,false,From an old export,false\n"
    )
    await _import(text)
    assert await _policies() == {"old.example": ("silence", True, False, "From an old export")}


async def test_a_quoted_comment_may_hold_commas_and_newlines(db: None) -> None:
    text = (
        f"{MASTODON_HEADER}\n"
        'multi.example,suspend,false,false,"Spam, abuse\nand more",false\n'
        "???,suspend,false,false,,false\n"
    )
    parsed = parse_blocklist(text)
    assert _messages(parsed.errors) == ["line 4: '???' is not a domain name"]
    await apply_import(await preview_import(parsed))
    assert await _policies() == {
        "multi.example": ("suspend", False, False, "Spam, abuse\nand more")
    }
    assert '"Spam, abuse\nand more"' in await export_blocklist()


def test_an_empty_file_is_an_empty_list() -> None:
    for text in ("", "\ufeff", "\n\n"):
        parsed = parse_blocklist(text)
        assert (parsed.entries, parsed.errors, parsed.warnings) == ([], [], [])


def test_a_byte_order_mark_is_tolerated() -> None:
    data = ("\ufeff" + MASTODON_CSV).encode()
    assert len(parse_blocklist(decode_blocklist(data)).entries) == 3
    assert len(parse_blocklist(data.decode()).entries) == 3
    assert len(parse_blocklist("\ufeffspam.example\n").entries) == 1


def test_a_file_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(BlocklistError, match="not UTF-8"):
        decode_blocklist("café.example\n".encode("latin-1"))


async def test_international_domains_are_stored_as_punycode(db: None) -> None:
    await _import(f"{MASTODON_HEADER}\nBücher.example,suspend,false,false,,false\n")
    assert set(await _policies()) == {"xn--bcher-kva.example"}
    assert not await domain_allowed("xn--bcher-kva.example", await get_site_settings())
    assert "xn--bcher-kva.example,suspend" in await export_blocklist()


async def test_private_comments_are_not_exported(db: None) -> None:
    await DomainPolicy.create(
        domain="spam.example",
        severity=Severity.suspend,
        public_comment="Spam",
        private_comment="reported by quietfern",
    )
    exported = await export_blocklist()
    assert exported == f"{MASTODON_HEADER}\nspam.example,suspend,false,false,Spam,false\n"


def test_obfuscated_domains_are_skipped_with_a_warning() -> None:
    text = (
        f"{MASTODON_HEADER}\n"
        "sp*m.example,suspend,false,false,,true\n"
        "clear.example,suspend,false,false,,true\n"
    )
    parsed = parse_blocklist(text)
    assert parsed.errors == []
    assert _messages(parsed.warnings) == [
        "line 2: sp*m.example is obfuscated; a partly hidden domain cannot be blocked"
    ]
    assert [e.domain for e in parsed.entries] == ["clear.example"]


async def test_noop_only_adds_its_flags_to_an_existing_policy(db: None) -> None:
    await DomainPolicy.create(domain="partner.example", severity=Severity.allow)
    text = (
        f"{MASTODON_HEADER}\n"
        "partner.example,noop,true,false,,false\n"
        "unknown.example,noop,true,true,,false\n"
        "nothing.example,noop,false,false,,false\n"
    )
    parsed = parse_blocklist(text)
    assert _messages(parsed.warnings) == [
        "line 4: nothing.example is noop with no flags: nothing to import"
    ]
    preview = await preview_import(parsed)
    assert _messages(preview.warnings) == [
        "line 3: unknown.example is noop with only reject flags, and Kindred has no policy "
        "for it to add them to; skipped"
    ]
    await apply_import(preview)
    assert await _policies() == {"partner.example": ("allow", True, False, "")}


async def test_an_imported_block_on_an_allowed_partner_is_flagged(db: None) -> None:
    await DomainPolicy.create(domain="partner.example", severity=Severity.allow)
    preview = await preview_import(parse_blocklist("partner.example\n"))
    assert _messages(preview.warnings) == [
        "line 1: partner.example is allowed here; this import would suspend it"
    ]
    assert [(c.old, c.new) for c in preview.changed] == [
        (PolicyState(Severity.allow), PolicyState(Severity.suspend))
    ]


def test_a_domain_listed_twice_takes_the_later_line() -> None:
    parsed = parse_blocklist(
        f"{MASTODON_HEADER}\ntwice.example,silence,,,,\nTWICE.example,suspend,,,,\n"
    )
    assert _messages(parsed.warnings) == ["line 3: twice.example is also on line 2; this line wins"]
    assert [(e.domain, e.severity) for e in parsed.entries] == [("twice.example", Severity.suspend)]


async def test_an_import_that_fails_part_way_writes_nothing(db: None) -> None:
    await DomainPolicy.create(domain="kept.example", severity=Severity.suspend)
    added = [
        DomainChange(f"host{i}.example", None, PolicyState(Severity.suspend)) for i in range(1500)
    ]
    # The first 1,000-row batch is written before the bad row is reached; only a hand-made
    # preview can hold that row (the parser refuses comments over 500 characters).
    added.append(
        DomainChange("last.example", None, PolicyState(Severity.suspend, public_comment="x" * 501))
    )
    removed = [DomainChange("kept.example", PolicyState(Severity.suspend), None)]
    with pytest.raises(ValidationError):
        await apply_import(ImportPreview("replace", added, [], [], removed, []))
    assert await _policies() == {"kept.example": ("suspend", False, False, "")}


async def test_an_import_reaches_the_inbox_cache_at_once(db: None) -> None:
    decisions = DomainDecisions()
    site = await get_site_settings()
    assert await decisions.allowed("spam.example", site)  # now remembered for a while
    text = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
    text += "spam.example,suspend,false,false,,false\n"
    await apply_import(await preview_import(parse_blocklist(text), mode="merge"))
    # Bulk writes send no model signals; the import itself tells the cache.
    assert not await decisions.allowed("spam.example", site)
