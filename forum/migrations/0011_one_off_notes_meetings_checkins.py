from tortoise import migrations
from tortoise.migrations import operations as ops
from forum.models.board import CheckinCadence, NoteRequirement
from forum.models.post import ThreadKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint
from forum.migration_repairs import RemoveUniqueTogether, opener_notes, restore_sqlite_indexes

class Migration(migrations.Migration):
    dependencies = [('forum', '0010_invite_batches')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Meeting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', db_constraint=True, to_field='id', related_name='meetings', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('description_source', fields.TextField(default='', unique=False)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('weekly', fields.BooleanField(default=False)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('hide_after_days', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'meeting', 'app': 'forum', 'indexes': [Index(fields=['board_id', 'starts_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Board',
            name='checkin_cadence',
            field=fields.CharEnumField(default=CheckinCadence.off, description='off: off\ndaily: daily\nweekly: weekly', db_default='off', enum_type=CheckinCadence, max_length=16),
        ),
        ops.AddField(
            model_name='Board',
            name='checkin_time',
            field=fields.CharField(default='09:00', db_default='09:00', max_length=5),
        ),
        ops.AddField(
            model_name='Board',
            name='checkin_timezone',
            field=fields.CharField(default='UTC', db_default='UTC', max_length=64),
        ),
        ops.AddField(
            model_name='Board',
            name='checkin_title',
            field=fields.CharField(default='Check-in, {date}', db_default='Check-in, {date}', max_length=120),
        ),
        ops.AddField(
            model_name='Board',
            name='checkin_weekday',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Board',
            name='content_note_choices',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='Board',
            name='content_note_required',
            field=fields.CharEnumField(default=NoteRequirement.off, description='off: off\nthreads: threads\nposts: posts', db_default='off', enum_type=NoteRequirement, max_length=16),
        ),
        ops.AddField(
            model_name='Board',
            name='one_off_days',
            field=fields.IntField(default=0, db_default=0),
        ),
        RemoveUniqueTogether(
            model_name='Persona',
            name=None,
            fields=['board', 'account'],
        ),
        ops.AddField(
            model_name='Persona',
            name='posts_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Persona',
            name='slot',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddConstraint(
            model_name='Persona',
            constraint=UniqueConstraint(fields=('board', 'account', 'slot'), name=None),
        ),
        ops.AddField(
            model_name='Post',
            name='content_note',
            field=fields.CharField(default='', db_default='', max_length=120),
        ),
        ops.AddField(
            model_name='Thread',
            name='closes_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='kind',
            field=fields.CharEnumField(default=ThreadKind.discussion, description='discussion: discussion\nmeeting: meeting\ncheckin: checkin', db_default='discussion', enum_type=ThreadKind, max_length=16),
        ),
        ops.AddField(
            model_name='Thread',
            name='meeting',
            field=fields.ForeignKeyField('forum.Meeting', source_field='meeting_id', null=True, db_constraint=True, to_field='id', related_name='threads', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Thread',
            name='members_only_after',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='series_key',
            field=fields.CharField(null=True, max_length=80),
        ),
        ops.AddConstraint(
            model_name='Thread',
            constraint=UniqueConstraint(fields=('board', 'series_key'), name=None),
        ),
        ops.RunPython(opener_notes, reverse_code=ops.RunPython.noop),
        ops.RunPython(restore_sqlite_indexes, reverse_code=ops.RunPython.noop),
    ]
