"""Password hashers for tests (set as PASSWORD_HASHERS): one that counts its work, to prove that
a refused login never reaches the hasher; one that also takes its time and records how many
checks ran at once, to prove the login gate."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    calls = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.calls += 1
        return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        CountingHasher.calls += 1
        return super().verify(password, encoded)

    def harden_runtime(self, password: str, encoded: str) -> Any:
        CountingHasher.calls += 1
        return super().harden_runtime(password, encoded)


class SlowHasher(MD5PasswordHasher):
    """Each check takes 0.2 s (a real hasher takes most of a second) and ``most_at_once`` is the
    largest number of checks that overlapped."""

    algorithm = "slow_md5"
    lock = threading.Lock()
    running = 0
    most_at_once = 0

    def verify(self, password: str, encoded: str) -> bool:
        with SlowHasher.lock:
            SlowHasher.running += 1
            SlowHasher.most_at_once = max(SlowHasher.most_at_once, SlowHasher.running)
        try:
            time.sleep(0.2)
            return super().verify(password, encoded)
        finally:
            with SlowHasher.lock:
                SlowHasher.running -= 1
