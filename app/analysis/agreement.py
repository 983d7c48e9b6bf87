"""Agreement between two coders, pure: Cohen's kappa per tag over the items both coded."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    tag_id: int
    items: int
    observed: float  # share of items where both coders agree (tag present or absent)
    kappa: float | None  # None when chance agreement is total (both always or never use the tag)


def cohens_kappa(first: list[bool], second: list[bool]) -> float | None:
    """Cohen's kappa of two equally long yes/no codings."""
    n = len(first)
    if n == 0 or n != len(second):
        return None
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / n
    p_first = sum(first) / n
    p_second = sum(second) / n
    expected = p_first * p_second + (1 - p_first) * (1 - p_second)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def agreement_by_tag(
    first: Mapping[tuple[str, int], Set[int]],
    second: Mapping[tuple[str, int], Set[int]],
    tag_ids: list[int],
) -> list[Agreement]:
    """For each tag, how far two coders agree on the items both of them coded (item -> tag ids applied)."""
    both = sorted(set(first) & set(second))
    results = []
    for tag_id in tag_ids:
        a = [tag_id in first[item] for item in both]
        b = [tag_id in second[item] for item in both]
        observed = sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(both) if both else 0.0
        results.append(Agreement(tag_id, len(both), observed, cohens_kappa(a, b)))
    return results
