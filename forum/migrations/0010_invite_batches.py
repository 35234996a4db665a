from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('forum', '0009_breaks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InviteBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('label', fields.CharField(max_length=120)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', null=True, db_constraint=True, to_field='id', related_name='invite_batches', on_delete=OnDelete.CASCADE)),
                ('size', fields.IntField()),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'invite_batch', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Invite',
            name='batch',
            field=fields.ForeignKeyField('forum.InviteBatch', source_field='batch_id', null=True, db_constraint=True, to_field='id', related_name='invites', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Invite',
            name='expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='SiteSettings',
            name='moderators_make_invites',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
