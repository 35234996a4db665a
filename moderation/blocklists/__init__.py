"""Mastodon's domain-block CSV: read one, preview what importing it would change, apply
it, and write Kindred's own blocks in the same format.

Files read (Mastodon's importer takes the same three):
- the current export, header `#domain,#severity,#reject_media,#reject_reports,
  #public_comment,#obfuscate` (columns found by name, in any order; only `#domain` is needed);
- the older export, the same names without `#`;
- a plain list of domains, one a line, with `#` comments; each one means suspend.

Mastodon's `noop` severity ("no limit, only the flags") has no Kindred equivalent, and
storing it as `allow` would let a stranger's list into an allowlist-mode instance. So a
`noop` row never creates, removes or re-grades a policy: it adds its reject_media and
reject_reports flags to the domain's existing policy, and is skipped with a warning when
there is none (or, with no flags, is skipped as saying nothing).

Replace mode makes the instance's silence/suspend policies exactly the file's; `allow`
entries are the admin's own and no blocklist adds, removes or exports them. Kindred keeps
no obfuscate flag: its exports name every domain in full and are for admins to share.

Modules: `csvfile` (the format), `imports` (preview and apply, for an admin's file and a
subscribed list's refresh), `exports`, `download` (fetching a subscribed list), `uploads`
(a file between its preview and its import), `follows` (suspension severs follows).
"""

from __future__ import annotations

from moderation.blocklists.csvfile import (
    HEADER,
    MAX_BYTES,
    MAX_ROWS,
    BlocklistEntry,
    BlocklistError,
    BlocklistTooLargeError,
    LineNote,
    ParsedBlocklist,
    PolicyState,
    decode_blocklist,
    format_blocklist,
    normalise_domain,
    parse_blocklist,
)
from moderation.blocklists.exports import export_blocklist
from moderation.blocklists.imports import (
    DomainChange,
    ImportCounts,
    ImportMode,
    ImportPreview,
    apply_import,
    preview_import,
    preview_list_update,
)

__all__ = [
    "HEADER",
    "MAX_BYTES",
    "MAX_ROWS",
    "BlocklistEntry",
    "BlocklistError",
    "BlocklistTooLargeError",
    "DomainChange",
    "ImportCounts",
    "ImportMode",
    "ImportPreview",
    "LineNote",
    "ParsedBlocklist",
    "PolicyState",
    "apply_import",
    "decode_blocklist",
    "export_blocklist",
    "format_blocklist",
    "normalise_domain",
    "parse_blocklist",
    "preview_import",
    "preview_list_update",
]
