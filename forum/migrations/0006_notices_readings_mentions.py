from tortoise import migrations
from tortoise.migrations import operations as ops
from forum.models.notice import NoticeKind
from forum.models.reading import Watch
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('forum', '0005_preferences')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Mention',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('forum.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='mentions', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('forum.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='mentioned_in', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'mention', 'app': 'forum', 'unique_together': (('post', 'actor'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reading',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('persona', fields.ForeignKeyField('forum.Persona', source_field='persona_id', db_constraint=True, to_field='id', related_name='readings', on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('forum.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='readings', on_delete=OnDelete.CASCADE)),
                ('last_seq', fields.IntField(default=0, db_default=0)),
                ('watch', fields.CharEnumField(default=Watch.normal, description='normal: \nfollow: follow\nmute: mute', db_default='', enum_type=Watch, max_length=16)),
            ],
            options={'table': 'reading', 'app': 'forum', 'unique_together': (('persona', 'thread'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Notice',
            name='board',
            field=fields.ForeignKeyField('forum.Board', source_field='board_id', null=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Notice',
            name='count',
            field=fields.IntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name='Notice',
            name='kind',
            field=fields.CharEnumField(default=NoticeKind.moderation, description='moderation: moderation\nreply: reply\nmention: mention\nfollowed: followed\nreactions: reactions', db_default='moderation', enum_type=NoticeKind, max_length=16),
        ),
        ops.AddField(
            model_name='Notice',
            name='post',
            field=fields.ForeignKeyField('forum.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Notice',
            name='thread',
            field=fields.ForeignKeyField('forum.Thread', source_field='thread_id', null=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Notice',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Notice',
            index=Index(fields=['account_id', 'read_at']),
        ),
    ]
