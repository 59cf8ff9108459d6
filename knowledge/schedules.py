from __future__ import annotations

# Created/updated idempotently by `manage.py setup_schedules` on start.
SCHEDULES = [
    {
        "name": "knowledge: embed pending documents",
        "func": "knowledge.tasks.kb_embed_pending",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    }
]
