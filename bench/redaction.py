"""Cost of redacting a log line, side by side with no redaction (the baseline) in the same run.

A gunicorn access-log line with a callback token goes through a real ``logging`` handler
writing to memory: (a) without the filter, (b) with the filter but no configured secrets (patterns
only), (c) with the filter and --secrets configured secret variables (patterns + literal values,
what `make run` does). Medians of --repeats batches of --lines records; no database needed.

    .venv/bin/python bench/redaction.py
    .venv/bin/python bench/redaction.py --lines 20000 --repeats 15 --secrets 20
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from myloware.lib.redact import RedactSecretsFilter  # noqa: E402

LINE = (
    '127.0.0.1 - - [01/Dec/2026:10:15:19 +0000] "POST /api/v1/webhooks/shotstack?run_id=run_1&token=%s '
    'HTTP/1.1" 200 52 "-" "python-httpx/0.28"'
)


def per_line_us(logger: logging.Logger, token: str, lines: int, repeats: int) -> float:
    batches = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(lines):
            logger.info(LINE, token)
        batches.append((time.perf_counter() - start) / lines * 1e6)
    return statistics.median(batches)


def logger_with(filtered: bool) -> logging.Logger:
    logger = logging.getLogger(f"bench.redaction.{filtered}")
    logger.handlers.clear()
    logger.propagate = False
    handler = logging.StreamHandler(io.StringIO())
    if filtered:
        handler.addFilter(RedactSecretsFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--secrets", type=int, default=10, help="configured secret variables in (c)")
    args = parser.parse_args()
    token = secrets.token_urlsafe(32)
    for name in [n for n in os.environ if "SECRET" in n or "TOKEN" in n]:
        del os.environ[name]
    baseline = per_line_us(logger_with(False), token, args.lines, args.repeats)
    patterns = per_line_us(logger_with(True), token, args.lines, args.repeats)
    for index in range(args.secrets):
        os.environ[f"WEBHOOK_SECRET_BENCH{index}"] = secrets.token_urlsafe(32)
    os.environ["WEBHOOK_SECRET_SHOTSTACK"] = token
    literal = per_line_us(logger_with(True), token, args.lines, args.repeats)
    print(f"{args.lines} lines x {args.repeats} batches, medians per line:")
    print(f"  (a) no redaction (baseline)             {baseline:6.1f} us")
    print(f"  (b) filter, patterns only                {patterns:6.1f} us  ({patterns / baseline:.1f}x)")
    print(
        f"  (c) filter, {args.secrets + 1} configured secrets     {literal:6.1f} us  ({literal / baseline:.1f}x)"
    )


if __name__ == "__main__":
    main()
