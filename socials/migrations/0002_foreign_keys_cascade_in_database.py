# Django 5.2 cascades in Python only; the seed's relationships cascade in SQL as well.
# This runs in its own migration because Django adds a migration's foreign keys at its end.
from django.db import migrations

from myloware.db_operations import CascadeOnDelete


class Migration(migrations.Migration):
    dependencies = [("socials", "0001_initial")]

    operations = [
        CascadeOnDelete("project_socials", "social_id"),
    ]
