"""Pure helpers for batching translation inputs (no torch, easy to unit-test)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def is_blank(text: str) -> bool:
    """Blank inputs are never sent to a model; they translate to ``""``."""
    return not text.strip()


def unique_texts(texts: Iterable[str]) -> list[str]:
    """Distinct non-blank texts in first-seen order (each is translated once)."""
    return list(dict.fromkeys(t for t in texts if not is_blank(t)))


def token_budget_batches(lengths: Sequence[int], max_tokens: int, max_batch: int | None = None) -> list[list[int]]:
    """Indices into ``lengths`` grouped into batches of at most ``max_tokens`` padded tokens.

    A batch costs ``rows x longest`` tokens, since every row is padded to the
    longest. Inputs are taken longest first, so similar lengths share a batch
    (little padding) and the most expensive batch comes first (an out-of-memory
    error shows up immediately). A batch grows while its padded size stays
    within ``max_tokens`` and its row count within ``max_batch`` (if given);
    an input longer than the budget on its own gets a batch of its own, never
    dropped. Ties keep input order, so the result is deterministic. Callers map
    results back through the indices to restore the original order.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    if max_batch is not None and max_batch < 1:
        raise ValueError(f"max_batch must be >= 1, got {max_batch}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    batch: list[int] = []
    longest = 0
    for i in order:
        if batch and ((len(batch) + 1) * longest > max_tokens or len(batch) == max_batch):
            batches.append(batch)
            batch = []
        if not batch:
            longest = max(lengths[i], 1)  # sorted longest first: the first row sets the width
        batch.append(i)
    if batch:
        batches.append(batch)
    return batches


def scatter(texts: Sequence[str], translations: dict[str, str]) -> list[str]:
    """Outputs aligned with ``texts``: blank inputs give ``""``, others their translation."""
    return ["" if is_blank(t) else translations[t] for t in texts]
