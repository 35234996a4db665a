from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from forum.migration_repairs import invite_use_to_the_day

class Migration(migrations.Migration):
    dependencies = [('forum', '0002_moderation_toolkit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FormToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('status', fields.IntField(null=True)),
                ('location', fields.CharField(default='', max_length=2000)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'form_token', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        # Invitation codes no longer say when (to the second) they were used.
        ops.RunPython(invite_use_to_the_day, reverse_code=ops.RunPython.noop),
    ]
