"""Heartbeats are gone: /healthz and the probes judge background work from django-q2's own tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workers", "0001_worker_heartbeats"),
    ]

    operations = [
        migrations.DeleteModel(name="WorkerHeartbeat"),
    ]
