from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

from forum.migration_repairs import (
    AddPartialUnique,
    merge_duplicate_review_items,
    rename_duplicate_local_actors,
)

# Get-or-create rows that several processes may make at once get a unique index each,
# partial (only local actors, only open review items). Rows made twice before it are
# tidied first so the index can be built: see forum/migration_repairs.py.


class Migration(migrations.Migration):
    dependencies = [('forum', '0014_languages_saved_posts')]

    initial = False

    operations = [
        ops.RunPython(rename_duplicate_local_actors, reverse_code=ops.RunPython.noop),
        AddPartialUnique(
            model_name='Actor',
            constraint=UniqueConstraint(
                fields=('kind', 'username'), name='uid_actor_local_kind_username', condition='local'
            ),
        ),
        ops.RunPython(merge_duplicate_review_items, reverse_code=ops.RunPython.noop),
        AddPartialUnique(
            model_name='ReviewItem',
            constraint=UniqueConstraint(
                fields=('post', 'kind'),
                name='uid_review_item_open_post_kind',
                condition="state = 'open'",
            ),
        ),
    ]
