"""The restored instance, in its own process: ``python -m tests.lifecycle.restored_probe RUN_ID LOG``
with MYLOWARE_DATA_DIR pointing at the restored data folder and the product's settings.

Prints one JSON object: each table's checksum, the status of ``/healthz``, and the state of the
run's graph after it was resumed from its restored checkpoint.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ["DJANGO_SETTINGS_MODULE"] = "myloware.settings"


def main(run_id: str, log: Path) -> None:
    import django

    django.setup()
    from django.test import Client

    from runs.langgraph import DjangoCheckpointSaver
    from tests.lifecycle.graph import build, table_checksums

    checksums = table_checksums()  # before anything runs on the restored data
    health = Client().get("/healthz")
    saver = DjangoCheckpointSaver()
    graph = build(log).compile(checkpointer=saver, interrupt_before=["b"])
    config: Any = {"configurable": {"thread_id": run_id}}
    final = graph.invoke(None, config)  # input None: resume from the stored checkpoint
    saver.close()
    print(json.dumps({"checksums": checksums, "health": health.status_code, "done": final["done"]}))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
