from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('forum', '0004_search')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='content_notes',
            field=fields.CharField(default='collapse', db_default='collapse', max_length=16),
        ),
        ops.AddField(
            model_name='Account',
            name='hidden_boards',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='Account',
            name='mute_action',
            field=fields.CharField(default='collapse', db_default='collapse', max_length=16),
        ),
        ops.AddField(
            model_name='Account',
            name='mute_words',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='Account',
            name='theme',
            field=fields.CharField(default='', db_default='', max_length=32),
        ),
        ops.AddField(
            model_name='Account',
            name='time_zone',
            field=fields.CharField(default='UTC', db_default='UTC', max_length=64),
        ),
    ]
