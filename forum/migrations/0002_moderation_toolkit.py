from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from forum.models.account import AccountStatus
from forum.models.post import PostState
from forum.models.site import RegistrationMode
from json import dumps, loads
from moderation.models import AppealState, ListChangeKind, ListChangeState, ReviewKind, SanctionKind, SubscriptionMode
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from forum.migration_repairs import restore_sqlite_indexes

class Migration(migrations.Migration):
    dependencies = [('forum', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Appeal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mod_action', fields.OneToOneField('forum.ModAction', source_field='mod_action_id', db_constraint=True, to_field='id', related_name='appeal', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.CASCADE)),
                ('text', fields.TextField(unique=False)),
                ('state', fields.CharEnumField(default=AppealState.open, description='open: open\nupheld: upheld\noverturned: overturned', enum_type=AppealState, max_length=16)),
                ('outcome', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appeal', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Application',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('forum.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='application', on_delete=OnDelete.CASCADE)),
                ('answer', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'application', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('admin', fields.ForeignKeyField('forum.Account', source_field='admin_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=32)),
                ('subject', fields.ForeignKeyField('forum.Actor', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='audited', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entry', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ListSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.CharField(unique=True, max_length=512)),
                ('mode', fields.CharEnumField(default=SubscriptionMode.review, description='review: review\nauto: auto', enum_type=SubscriptionMode, max_length=16)),
                ('refresh_hours', fields.IntField(default=24)),
                ('last_fetched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status', fields.CharField(default='', max_length=255)),
                ('etag', fields.CharField(null=True, max_length=255)),
                ('last_domains', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'list_subscription', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ListChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('forum.ListSubscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='changes', on_delete=OnDelete.CASCADE)),
                ('domain', fields.CharField(max_length=255)),
                ('change', fields.CharEnumField(description='add: add\nupdate: update\nretract: retract', enum_type=ListChangeKind, max_length=16)),
                ('severity', fields.CharField(default='', max_length=16)),
                ('reject_media', fields.BooleanField(default=False)),
                ('reject_reports', fields.BooleanField(default=False)),
                ('public_comment', fields.CharField(default='', max_length=500)),
                ('state', fields.CharEnumField(default=ListChangeState.pending, description='pending: pending\napplied: applied\nrejected: rejected', enum_type=ListChangeState, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'list_change', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ModNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', null=True, db_constraint=True, to_field='id', related_name='mod_notes', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('forum.ReviewItem', source_field='item_id', null=True, db_constraint=True, to_field='id', related_name='mod_notes', on_delete=OnDelete.CASCADE)),
                ('subject', fields.ForeignKeyField('forum.Actor', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='mod_notes', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('forum.Account', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='mod_notes', on_delete=OnDelete.SET_NULL)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mod_note', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Sanction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='suspend: suspend\nban: ban', enum_type=SanctionKind, max_length=16)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', null=True, db_constraint=True, to_field='id', related_name='sanctions', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('forum.Actor', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='sanctions', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='sanctions', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('remote', fields.BooleanField(default=False)),
                ('mod_action', fields.ForeignKeyField('forum.ModAction', source_field='mod_action_id', null=True, db_constraint=True, to_field='id', related_name='sanctions', on_delete=OnDelete.SET_NULL)),
                ('lifted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sanction', 'app': 'forum', 'indexes': [Index(fields=['board_id', 'actor_id']), Index(fields=['account_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='expand_flagged',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Account',
            name='on_duty',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Account',
            name='status',
            field=fields.CharEnumField(default=AccountStatus.active, description='active: active\npending: pending\nsuspended: suspended\nbanned: banned', db_default='active', enum_type=AccountStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Account',
            name='suspended_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Actor',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Board',
            name='auto_hide_reports',
            field=fields.IntField(default=3, db_default=3),
        ),
        ops.AddField(
            model_name='Board',
            name='remote_moderators',
            field=fields.JSONField(default=list, db_default=[], encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Board',
            name='remote_moderators_fetched_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Board',
            name='remote_premod_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Board',
            name='removal_reasons',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='Board',
            name='supporter_min_days',
            field=fields.IntField(default=90, db_default=90),
        ),
        ops.AddField(
            model_name='Board',
            name='supporter_min_posts',
            field=fields.IntField(default=20, db_default=20),
        ),
        ops.AddField(
            model_name='DomainPolicy',
            name='subscription',
            field=fields.ForeignKeyField('forum.ListSubscription', source_field='subscription_id', null=True, db_constraint=True, to_field='id', related_name='policies', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ModAction',
            name='member',
            field=fields.ForeignKeyField('forum.Account', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='actions_on_me', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ModAction',
            name='post',
            field=fields.ForeignKeyField('forum.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='mod_actions', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ModAction',
            name='subject',
            field=fields.ForeignKeyField('forum.Actor', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='mod_actions', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ModAction',
            name='until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notice',
            name='mod_action',
            field=fields.ForeignKeyField('forum.ModAction', source_field='mod_action_id', null=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.SET_NULL),
        ),
        ops.AlterField(
            model_name='Post',
            name='state',
            field=fields.CharEnumField(default=PostState.visible, description='visible: visible\nheld: held\nhidden: hidden\nremoved: removed\ndeleted: deleted', enum_type=PostState, max_length=16),
        ),
        ops.AddField(
            model_name='Post',
            name='mod_note',
            field=fields.CharField(default='', db_default='', max_length=500),
        ),
        ops.AlterField(
            model_name='ReviewItem',
            name='board',
            field=fields.ForeignKeyField('forum.Board', source_field='board_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ReviewItem',
            name='kind',
            field=fields.CharEnumField(description='held_post: held_post\nflagged: flagged\nreport: report\napplication: application\nappeal: appeal\nlist_change: list_change', enum_type=ReviewKind, max_length=16),
        ),
        ops.AlterField(
            model_name='ReviewItem',
            name='post',
            field=fields.ForeignKeyField('forum.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='ReviewItem',
            name='appeal',
            field=fields.ForeignKeyField('forum.Appeal', source_field='appeal_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='ReviewItem',
            name='application',
            field=fields.ForeignKeyField('forum.Application', source_field='application_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='ReviewItem',
            name='forwarded_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ReviewItem',
            name='list_change',
            field=fields.ForeignKeyField('forum.ListChange', source_field='list_change_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='ReviewItem',
            name='subject',
            field=fields.ForeignKeyField('forum.Actor', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='SiteSettings',
            name='registration_mode',
            field=fields.CharEnumField(default=RegistrationMode.open, description='open: open\ninvite: invite\nclosed: closed\napproval: approval', enum_type=RegistrationMode, max_length=16),
        ),
        ops.AddField(
            model_name='SiteSettings',
            name='application_question',
            field=fields.CharField(default='Tell us briefly why you would like to join.', db_default='Tell us briefly why you would like to join.', max_length=300),
        ),
        ops.AddField(
            model_name='SiteSettings',
            name='modlog_show_member',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='SiteSettings',
            name='modlog_show_moderator',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='SiteSettings',
            name='publish_blocklist',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AlterField(
            model_name='Thread',
            name='state',
            field=fields.CharEnumField(default=PostState.visible, description='visible: visible\nheld: held\nhidden: hidden\nremoved: removed\ndeleted: deleted', enum_type=PostState, max_length=16),
        ),
        ops.AddField(
            model_name='Thread',
            name='slow_mode_seconds',
            field=fields.IntField(default=0, db_default=0),
        ),
        # Tortoise's SQLite table rebuilds (the AlterFields above) drop indexes and
        # unique-together constraints; put them back (see forum/migration_repairs.py).
        ops.RunPython(restore_sqlite_indexes, reverse_code=ops.RunPython.noop),
    ]
