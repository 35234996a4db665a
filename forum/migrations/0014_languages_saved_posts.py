from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('forum', '0013_rate_counters')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SavedPost',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('persona', fields.ForeignKeyField('forum.Persona', source_field='persona_id', db_constraint=True, to_field='id', related_name='saved_posts', on_delete=OnDelete.CASCADE)),
                ('post', fields.ForeignKeyField('forum.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='saved_by', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'saved_post', 'app': 'forum', 'unique_together': (('persona', 'post'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SiteLanguage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('locale', fields.CharField(unique=True, max_length=16)),
                ('crisis_resources_source', fields.TextField(default='', unique=False)),
                ('crisis_resources_html', fields.TextField(default='', unique=False)),
                ('quick_exit_url', fields.CharField(default='', max_length=512)),
                ('help_source', fields.TextField(default='', unique=False)),
                ('help_html', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'site_language', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='locale',
            field=fields.CharField(default='', db_default='', max_length=16),
        ),
        ops.AddField(
            model_name='Post',
            name='language',
            field=fields.CharField(default='', db_default='', max_length=16),
        ),
        ops.AddField(
            model_name='SiteSettings',
            name='default_locale',
            field=fields.CharField(default='en', db_default='en', max_length=16),
        ),
    ]
