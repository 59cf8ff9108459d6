from __future__ import annotations

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pagination: stable under concurrent inserts, no COUNT(*), O(page) at any depth.

    Ordering includes the primary key as a tie-breaker so rows with equal timestamps are
    neither skipped nor repeated.
    """

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    ordering = ("-created_at", "-pk")


class OldestFirstCursorPagination(NewestFirstCursorPagination):
    ordering = ("created_at", "pk")
