from tortoise import migrations
from tortoise.migrations import operations as ops
from forum.models.mentor import LinkState
from forum.models.notice import NoticeKind
from moderation.models import ReviewKind
from tortoise.fields.base import OnDelete
from tortoise import fields

from forum.migration_repairs import restore_sqlite_indexes

class Migration(migrations.Migration):
    dependencies = [('forum', '0007_milestones')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MentorLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', db_constraint=True, to_field='id', related_name='mentor_links', on_delete=OnDelete.CASCADE)),
                ('mentee', fields.ForeignKeyField('forum.Persona', source_field='mentee_id', db_constraint=True, to_field='id', related_name='mentors', on_delete=OnDelete.CASCADE)),
                ('mentor', fields.ForeignKeyField('forum.Persona', source_field='mentor_id', db_constraint=True, to_field='id', related_name='mentees', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharEnumField(default=LinkState.requested, description='requested: requested\nactive: active\ndeclined: declined\nended: ended', enum_type=LinkState, max_length=16)),
                ('request_note', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'mentor_link', 'app': 'forum', 'unique_together': (('mentee', 'mentor'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MentorMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('link', fields.ForeignKeyField('forum.MentorLink', source_field='link_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('sender', fields.ForeignKeyField('forum.Persona', source_field='sender_id', db_constraint=True, to_field='id', related_name='mentor_messages', on_delete=OnDelete.CASCADE)),
                ('body_source', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mentor_message', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Notice',
            name='kind',
            field=fields.CharEnumField(default=NoticeKind.moderation, description='moderation: moderation\nreply: reply\nmention: mention\nfollowed: followed\nreactions: reactions\nmentor: mentor', db_default='moderation', enum_type=NoticeKind, max_length=16),
        ),
        ops.AlterField(
            model_name='ReviewItem',
            name='kind',
            field=fields.CharEnumField(description='held_post: held_post\nflagged: flagged\nreport: report\napplication: application\nappeal: appeal\nlist_change: list_change\nmessage: message', enum_type=ReviewKind, max_length=16),
        ),
        ops.AddField(
            model_name='ReviewItem',
            name='message',
            field=fields.ForeignKeyField('forum.MentorMessage', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='SiteSettings',
            name='mentor_message_days',
            field=fields.IntField(default=90, db_default=90),
        ),
        # Tortoise's SQLite table rebuilds (the AlterFields above) drop indexes and
        # unique-together constraints; put them back (see forum/migration_repairs.py).
        ops.RunPython(restore_sqlite_indexes, reverse_code=ops.RunPython.noop),
    ]
