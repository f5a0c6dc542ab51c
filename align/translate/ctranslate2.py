"""MarianMT with CTranslate2: the same opus-mt directory, converted once and kept on disk.

The model directory (local or from the Hugging Face cache) is converted with
``ctranslate2.converters.TransformersConverter`` into
``<ct2_dir>/<model fingerprint>-<compute type>``. Conversion writes into a
temporary directory beside it and renames it into place, so an interrupted or
concurrent conversion never leaves a half-written model behind; later runs
load the converted model directly. Tokenization, truncation, batching and the
cache are shared with the transformers backend (:class:`MarianBackend`).

ctranslate2 is an optional dependency (``pip install 'align[ct2]'``), imported
only when a model loads.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from align.config import COMPUTE_TYPES
from align.translate.cache import model_cache_key
from align.cpus import available_cpus
from align.translate.marian import MarianBackend
from align.types import ConfigError

log = logging.getLogger(__name__)


def default_ct2_dir() -> Path:
    """Where converted models live unless told otherwise: ``$XDG_CACHE_HOME/align/ct2``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "align" / "ct2"


def convert_marian(model_dir: str | Path, out_root: str | Path, compute_type: str = "int8") -> Path:
    """Convert an opus-mt directory for CTranslate2 once; return the converted model's directory.

    The name under ``out_root`` fingerprints the source directory (path plus
    size and mtime of its weights, as the translation cache does) and the
    weight type, so a rebuilt model is converted again and never served stale.
    """
    import ctranslate2
    from transformers.utils import logging as hf_logging

    model_dir = Path(model_dir)
    key = hashlib.sha256(model_cache_key(str(model_dir)).encode()).hexdigest()[:16]
    out = Path(out_root).expanduser() / f"{model_dir.name}-{key}-{compute_type}"
    if (out / "model.bin").is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    log.info("converting %s for CTranslate2 (%s) into %s", model_dir, compute_type, out)
    hf_logging.disable_progress_bar()  # no "Loading weights" bar per conversion
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*sacremoses.*")  # the converter loads MarianTokenizer
            ctranslate2.converters.TransformersConverter(str(model_dir)).convert(
                str(tmp / "model"), quantization=compute_type
            )
        try:
            os.rename(tmp / "model", out)
        except OSError:
            if not (out / "model.bin").is_file():  # not just another process winning the race
                raise
    finally:
        hf_logging.enable_progress_bar()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


class CTranslate2Translator(MarianBackend):
    """Translate with a MarianMT model run by CTranslate2 (``type: ctranslate2`` in the config).

    Takes the same arguments as :class:`~align.translate.marian.MarianTranslator`, plus:

    - ``compute_type``: weight and compute type, ``int8`` (default; fastest on
      CPU), ``float32``, ``int8_float32``, ... (the model is converted with this
      quantization);
    - ``inter_threads``: parts of each batch translated in parallel (default 1);
    - ``intra_threads``: threads per part; ``None``: ``threads // inter_threads``
      (``threads`` 0 = every CPU this process may use);
    - ``ct2_dir``: where converted models are kept (default
      :func:`default_ct2_dir`).

    Greedy outputs match the transformers backend token for token in float32:
    ``max_length`` counts the end-of-sentence token as transformers'
    ``max_new_tokens`` does.
    """

    def __init__(
        self,
        model: str,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
        *,
        compute_type: str = "int8",
        inter_threads: int = 1,
        intra_threads: int | None = None,
        ct2_dir: str | Path | None = None,
        **options: Any,
    ):
        super().__init__(model, src_lang, tgt_lang, **options)
        if compute_type not in COMPUTE_TYPES:
            raise ConfigError(f"unknown compute_type '{compute_type}' (known: {', '.join(COMPUTE_TYPES)})")
        if inter_threads < 1 or (intra_threads is not None and intra_threads < 0):
            raise ConfigError(f"inter_threads must be >= 1 and intra_threads >= 0 (got {inter_threads}, {intra_threads})")
        self.compute_type = compute_type
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads
        self.ct2_dir = Path(ct2_dir).expanduser() if ct2_dir else default_ct2_dir()
        self.backend = f"ct2:{compute_type}"
        self.converted_dir: Path | None = None

    def _load_model(self, path: Path) -> Any:
        try:
            import ctranslate2
        except ImportError:
            raise self._fail("the ctranslate2 backend needs the package ctranslate2 (pip install 'align[ct2]')") from None
        supported = ctranslate2.get_supported_compute_types(self.device)
        if self.compute_type not in supported:
            raise self._fail(
                f"compute_type '{self.compute_type}' is not supported on {self.device} here "
                f"(supported: {', '.join(sorted(supported))})"
            )
        self.converted_dir = convert_marian(path, self.ct2_dir, self.compute_type)
        intra = self.intra_threads
        if intra is None:  # share ``threads`` (0: all CPUs) between the parallel parts
            total = self.threads or (available_cpus() if self.device == "cpu" else 0)
            intra = max(1, total // self.inter_threads) if total else 0
        return ctranslate2.Translator(
            str(self.converted_dir), device=self.device, compute_type=self.compute_type,
            inter_threads=self.inter_threads, intra_threads=intra,
        )

    def _generate(self, batch: list[list[int]]) -> list[list[int]]:
        if self.max_length == 1:  # only room for </s>: empty outputs, as transformers gives
            return [[] for _ in batch]
        tok = self._tokenizer
        results = self._model.translate_batch(
            [tok.convert_ids_to_tokens(ids) for ids in batch],
            beam_size=self.beam,
            # CTranslate2 stops at max_decoding_length text tokens; transformers
            # spends the last of max_new_tokens on a forced </s>.
            max_decoding_length=self.max_length - 1,
            max_input_length=0,  # already truncated to the model's limit
            # Already batched by token budget; with inter_threads > 1, split so the parts run in parallel.
            max_batch_size=-(-len(batch) // self.inter_threads) if self.inter_threads > 1 else 0,
        )
        return [tok.convert_tokens_to_ids(r.hypotheses[0]) for r in results]
