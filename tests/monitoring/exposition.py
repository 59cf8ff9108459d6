"""Reading a Prometheus text exposition in tests: its samples, one series' value, how far it moved."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape: ``{(name, sorted labels): value}``."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    """The series' value, 0 when the scrape does not have it (a counter not yet incremented)."""
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def changes(before: Samples, after: Samples) -> Callable[..., float]:
    """``moved(name, **labels)``: how far that series moved from ``before`` to ``after``."""

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    return moved
