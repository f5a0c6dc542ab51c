"""Pure helpers for batching translation inputs (no torch, easy to unit-test)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def is_blank(text: str) -> bool:
    """Blank inputs are never sent to a model; they translate to ``""``."""
    return not text.strip()


def unique_texts(texts: Iterable[str]) -> list[str]:
    """Distinct non-blank texts in first-seen order (each is translated once)."""
    return list(dict.fromkeys(t for t in texts if not is_blank(t)))


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Indices into ``texts`` grouped into batches, longest text first.

    Similar lengths share a batch, so padding (wasted compute) is small; the
    longest batch comes first so an out-of-memory error shows up immediately.
    Ties keep input order, so the result is deterministic. Callers map results
    back through the indices to restore the original order.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def scatter(texts: Sequence[str], translations: dict[str, str]) -> list[str]:
    """Outputs aligned with ``texts``: blank inputs give ``""``, others their translation."""
    return ["" if is_blank(t) else translations[t] for t in texts]
