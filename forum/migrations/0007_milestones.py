from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('forum', '0006_notices_readings_mentions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Milestone',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='milestones', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=80)),
                ('since', fields.DateField()),
            ],
            options={'table': 'milestone', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
