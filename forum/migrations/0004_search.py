from tortoise import migrations
from tortoise.migrations import operations as ops

from forum.search_index import rebuild_index

# The search index is no Tortoise model (an FTS5 virtual table has no place in one), so
# this migration makes it per database, by hand; forum/search_index.py writes to it.
SQLITE = [
    # rowid = post id. unicode61 folds case and (with 2) diacritics, as readers expect.
    "CREATE VIRTUAL TABLE IF NOT EXISTS post_search USING fts5("
    "text, tokenize = 'unicode61 remove_diacritics 2')",
]
POSTGRES = [
    # 'simple': no stemming and no stop words, like FTS5's tokenizer, and no language to
    # guess for a forum whose members write in many.
    "CREATE TABLE IF NOT EXISTS post_search ("
    "post_id INTEGER PRIMARY KEY REFERENCES post (id) ON DELETE CASCADE, "
    "text TEXT NOT NULL, "
    "document TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED)",
    "CREATE INDEX IF NOT EXISTS post_search_document ON post_search USING GIN (document)",
]


async def create_search_index(apps, schema_editor):
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for sql in POSTGRES if postgres else SQLITE:
        await client.execute_script(sql)
    await rebuild_index(client)


async def drop_search_index(apps, schema_editor):
    await schema_editor.client.execute_script("DROP TABLE IF EXISTS post_search")


class Migration(migrations.Migration):
    dependencies = [('forum', '0003_form_tokens')]

    initial = False

    operations = [
        ops.RunPython(create_search_index, reverse_code=drop_search_index),
    ]
