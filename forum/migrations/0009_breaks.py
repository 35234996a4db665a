from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('forum', '0008_mentor_links')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='break_started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='break_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='SiteSettings',
            name='break_cooling_hours',
            field=fields.IntField(default=24, db_default=24),
        ),
    ]
