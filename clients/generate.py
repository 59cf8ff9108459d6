"""Generate the API's clients from its OpenAPI document.

    .venv/bin/python clients/generate.py DOCUMENT OUTPUT

writes OUTPUT/python (the Python client package, by openapi-python-client) and
OUTPUT/typescript/api.d.ts (TypeScript types, by openapi-typescript; run ``npm ci`` in
clients/typescript first). ``make clients`` runs it on the document ``manage.py spectacular``
writes, with OUTPUT = clients; tests/api/test_clients.py on the live document of gunicorn, into a
temporary folder, and compares. Any warning of a generator (an operation or model it dropped)
fails the run, with the generator's own words.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CLIENTS = Path(__file__).resolve().parent
# The generators' entry points: openapi-python-client (and the ruff of its hooks) beside this
# interpreter, openapi-typescript from clients/typescript/node_modules.
BIN = Path(sys.executable).parent
OPENAPI_TYPESCRIPT = CLIENTS / "typescript" / "node_modules" / ".bin" / "openapi-typescript"


def _run(command: list[str]) -> str:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    output = done.stdout + done.stderr
    if done.returncode != 0 or "warning" in output.lower():
        raise SystemExit(f"{' '.join(command[:2])} failed:\n{output}")
    return output


def generate(document: Path, output: Path) -> None:
    if not OPENAPI_TYPESCRIPT.exists():
        raise SystemExit("openapi-typescript is missing: run `npm ci` in clients/typescript (make does)")
    python = output / "python"
    shutil.rmtree(python, ignore_errors=True)
    _run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path", str(document),
            "--output-path", str(python),
            "--config", str(CLIENTS / "openapi-python-client.yaml"),
            "--custom-template-path", str(CLIENTS / "templates"),
            "--meta", "pdm",
            "--fail-on-warning",
        ]
    )  # fmt: skip
    (output / "typescript").mkdir(parents=True, exist_ok=True)
    # --default-non-nullable false: by default a field with a default (runs_create's status) is
    # typed as required even in request bodies, where the server fills it in.
    _run(
        [
            str(OPENAPI_TYPESCRIPT),
            str(document),
            "--default-non-nullable", "false",
            "--output", str(output / "typescript" / "api.d.ts"),
        ]
    )  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    generate(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
