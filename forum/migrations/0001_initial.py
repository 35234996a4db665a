from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from forum.models.account import Role
from forum.models.actor import ActorKind
from forum.models.board import FederationMode, MemberRole, PostingPolicy, Visibility
from forum.models.post import PostState
from forum.models.site import RegistrationMode
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('handle', fields.CharField(unique=True, max_length=64)),
                ('passphrase_hash', fields.CharField(max_length=255)),
                ('role', fields.CharEnumField(default=Role.member, description='member: member\nadmin: admin', enum_type=Role, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Actor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='group: Group\nperson: Person\napplication: Application', enum_type=ActorKind, max_length=16)),
                ('username', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=128)),
                ('local', fields.BooleanField(default=True)),
                ('domain', fields.CharField(null=True, max_length=255)),
                ('ap_id', fields.CharField(null=True, unique=True, max_length=512)),
                ('inbox', fields.CharField(null=True, max_length=512)),
                ('shared_inbox', fields.CharField(null=True, max_length=512)),
                ('public_key_pem', fields.TextField(null=True, unique=False)),
                ('private_key_pem', fields.TextField(null=True, unique=False)),
                ('fetched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'actor', 'app': 'forum', 'unique_together': (('domain', 'username'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=64)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='api_tokens', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'api_token', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Board',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=48)),
                ('title', fields.CharField(max_length=120)),
                ('description_source', fields.TextField(default='', unique=False)),
                ('description_html', fields.TextField(default='', unique=False)),
                ('rules_source', fields.TextField(default='', unique=False)),
                ('rules_html', fields.TextField(default='', unique=False)),
                ('visibility', fields.CharEnumField(default=Visibility.public, description='public: public\nmembers: members\nprivate: private', enum_type=Visibility, max_length=16)),
                ('posting_policy', fields.CharEnumField(default=PostingPolicy.members, description='members: members\nmoderators: moderators', enum_type=PostingPolicy, max_length=16)),
                ('federation', fields.CharEnumField(default=FederationMode.off, description='off: off\npublish: publish\nopen: open', enum_type=FederationMode, max_length=16)),
                ('theme', fields.CharField(null=True, max_length=64)),
                ('thread_count', fields.IntField(default=0)),
                ('post_count', fields.IntField(default=0)),
                ('actor', fields.OneToOneField('forum.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='board', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'board', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', null=True, db_constraint=True, to_field='id', related_name='invites', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'invite', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Persona',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', db_constraint=True, to_field='id', related_name='personas', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='personas', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.OneToOneField('forum.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='persona', on_delete=OnDelete.RESTRICT)),
                ('name_key', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'persona', 'app': 'forum', 'unique_together': (('board', 'name_key'), ('board', 'account')), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('persona', fields.OneToOneField('forum.Persona', source_field='persona_id', db_constraint=True, to_field='id', related_name='membership', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=MemberRole.member, description='member: member\npeer_supporter: peer_supporter\nmoderator: moderator', enum_type=MemberRole, max_length=16)),
                ('approved_post_count', fields.IntField(default=0)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'membership', 'app': 'forum', 'unique_together': (('account', 'board'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
            ],
            options={'table': 'recovery_code', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('account', fields.ForeignKeyField('forum.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'session', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SiteSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(default='Kindred', max_length=80)),
                ('registration_mode', fields.CharEnumField(default=RegistrationMode.open, description='open: open\ninvite: invite\nclosed: closed', enum_type=RegistrationMode, max_length=16)),
                ('quick_exit_url', fields.CharField(default='https://www.bbc.com/weather', max_length=512)),
                ('crisis_resources_source', fields.TextField(default='', unique=False)),
                ('crisis_resources_html', fields.TextField(default='', unique=False)),
                ('default_theme', fields.CharField(default='default', max_length=64)),
                ('setup_token_hash', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'site_settings', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Thread',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('board', fields.ForeignKeyField('forum.Board', source_field='board_id', db_constraint=True, to_field='id', related_name='threads', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('forum.Actor', source_field='author_id', db_constraint=True, to_field='id', related_name='threads', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=200)),
                ('content_note', fields.CharField(default='', max_length=120)),
                ('state', fields.CharEnumField(default=PostState.visible, description='visible: visible\nheld: held\nremoved: removed\ndeleted: deleted', enum_type=PostState, max_length=16)),
                ('pinned', fields.BooleanField(default=False)),
                ('locked', fields.BooleanField(default=False)),
                ('post_count', fields.IntField(default=0)),
                ('last_activity_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'thread', 'app': 'forum', 'indexes': [Index(fields=['board_id', 'pinned', 'last_activity_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Post',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('forum.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('seq', fields.IntField()),
                ('author', fields.ForeignKeyField('forum.Actor', source_field='author_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.RESTRICT)),
                ('reply_to', fields.ForeignKeyField('forum.Post', source_field='reply_to_id', null=True, db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.SET_NULL)),
                ('body_source', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('state', fields.CharEnumField(default=PostState.visible, description='visible: visible\nheld: held\nremoved: removed\ndeleted: deleted', enum_type=PostState, max_length=16)),
                ('reaction_counts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('edited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'post', 'app': 'forum', 'unique_together': (('thread', 'seq'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reaction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('forum.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='reactions', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('forum.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='reactions', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reaction', 'app': 'forum', 'unique_together': (('post', 'actor', 'kind'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
