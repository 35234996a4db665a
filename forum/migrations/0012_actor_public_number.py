from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('forum', '0011_one_off_notes_meetings_checkins')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Actor',
            name='public_number',
            field=fields.IntField(null=True, unique=True),
        ),
    ]
