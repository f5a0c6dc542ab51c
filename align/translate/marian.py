"""MarianMT (opus-mt) translation with transformers: batched, cached, offline-friendly.

torch, transformers and huggingface_hub are imported only when a model is
loaded or looked up, so importing this module stays cheap.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from align.translate.batching import length_sorted_batches, scatter, unique_texts
from align.translate.cache import TranslationCache, model_cache_key, params_cache_key
from align.types import ConfigError, ModelError

log = logging.getLogger(__name__)

_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_threads_set = False


def _looks_like_path(model: str) -> bool:
    """A hub id is ``name`` or ``org/name``; anything else must be a directory."""
    return (
        os.path.isabs(model)
        or model.startswith((".", "~"))
        or model.count("/") > 1
        or (os.sep != "/" and os.sep in model)
    )


def _offline_env() -> bool:
    return any(
        os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"}
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _cached_file(model: str, filename: str) -> str | None:
    """Path of ``filename`` of hub repo ``model`` in the local HF cache; never touches the network."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(model, filename)
    except Exception:  # invalid repo id and the like
        return None
    return found if isinstance(found, str) else None


def marian_available_locally(model: str) -> bool:
    """Whether ``model`` (local dir or hub id) can be loaded without network access."""
    path = Path(model).expanduser()
    if path.is_dir():
        return (path / "config.json").is_file()
    if _looks_like_path(model):
        return False
    return (
        _cached_file(model, "config.json") is not None
        and _cached_file(model, "source.spm") is not None
        and any(_cached_file(model, w) is not None for w in _WEIGHTS)
    )


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _set_torch_threads(torch: Any) -> None:
    """Use every CPU this process may run on, unless the user chose a thread count."""
    global _threads_set
    if _threads_set or "OMP_NUM_THREADS" in os.environ or "MKL_NUM_THREADS" in os.environ:
        return
    _threads_set = True
    try:
        n = len(os.sched_getaffinity(0))  # respects taskset/cgroup CPU pinning
    except AttributeError:
        n = os.cpu_count() or 1
    torch.set_num_threads(n)


class MarianTranslator:
    """Translate with a MarianMT model: a hub id (``Helsinki-NLP/opus-mt-fr-en``) or a local dir.

    ``stats["translated"]`` counts distinct texts the model translated,
    ``stats["cached"]`` distinct texts served from the cache.
    """

    def __init__(
        self,
        model: str,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
        *,
        beam: int = 4,
        max_length: int = 256,
        batch_size: int = 16,
        cache: TranslationCache | str | Path | None = None,
        device: str = "cpu",
        local_files_only: bool | None = None,
    ):
        if beam < 1 or max_length < 1 or batch_size < 1:
            raise ConfigError(f"beam, max_length and batch_size must be >= 1 (got {beam}, {max_length}, {batch_size})")
        self.model_id = str(model)
        self.src_lang = src_lang
        self.tgt_lang = tgt_lang
        self.beam = beam
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device
        self.local_files_only = local_files_only
        self.cache = TranslationCache(cache) if isinstance(cache, (str, Path)) else cache
        self.stats: dict[str, int] = {"translated": 0, "cached": 0}
        self.params_key = params_cache_key(beam=beam, max_length=max_length)
        self._model_key: str | None = None
        self._tokenizer: Any = None
        self._model: Any = None

    @property
    def model_key(self) -> str:
        """Cache key of the model (computed once: a rebuild mid-run is not expected)."""
        if self._model_key is None:
            self._model_key = model_cache_key(self.model_id)
        return self._model_key

    def _fail(self, why: str) -> ModelError:
        return ModelError(f"cannot load MarianMT model '{self.model_id}': {why}")

    def _resolve_dir(self) -> Path:
        """The local directory holding the model, downloading it first if allowed."""
        model = self.model_id
        path = Path(model).expanduser()
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise self._fail(f"directory {path} has no config.json")
            return path
        if _looks_like_path(model):
            raise self._fail("no such directory")
        from huggingface_hub import snapshot_download

        local = marian_available_locally(model)
        lfo = self.local_files_only
        if local and lfo is not False:
            # Cached: use it as is (no network round trip, reproducible runs).
            return Path(snapshot_download(model, local_files_only=True))
        if lfo or (lfo is None and _offline_env()):
            raise self._fail("not a local directory and not in the local Hugging Face cache (offline)")
        # One explicit download instead of letting from_pretrained probe file by
        # file: offline, that fails in under a second rather than minutes of retries.
        log.info("downloading MarianMT model %s", model)
        try:
            got = Path(snapshot_download(model, allow_patterns=["*.json", "*.spm", "model.safetensors"]))
            if not (got / "model.safetensors").is_file():  # older repos: PyTorch weights only
                got = Path(snapshot_download(model, allow_patterns=["pytorch_model.bin"]))
        except Exception as exc:
            raise self._fail(f"download failed: {_one_line(exc)}") from exc
        return got

    def load(self) -> "MarianTranslator":
        """Load tokenizer and model (idempotent); raises ModelError if unavailable."""
        if self._model is not None:
            return self
        path = self._resolve_dir()
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        if self.device == "cpu":
            _set_torch_threads(torch)
        log.info("loading MarianMT model %s from %s", self.model_id, path)
        use_st = True if (path / "model.safetensors").is_file() else None  # prefer safetensors
        try:
            with warnings.catch_warnings():
                # Without sacremoses, punctuation normalisation is skipped; harmless.
                warnings.filterwarnings("ignore", message=".*sacremoses.*")
                tokenizer = MarianTokenizer.from_pretrained(path, local_files_only=True)
            mt = MarianMTModel.from_pretrained(path, local_files_only=True, use_safetensors=use_st)
            mt.to(self.device).eval()
        except Exception as exc:  # OSError, ValueError, bad or missing files...
            raise self._fail(_one_line(exc)) from exc
        # We always pass max_new_tokens; a max_length in the model's generation
        # config (opus-mt has 512) would only trigger a warning on every call.
        mt.generation_config.max_length = None
        self._tokenizer, self._model = tokenizer, mt
        return self

    def translate(self, texts: list[str]) -> list[str]:
        """Translations aligned with ``texts``; blank inputs give ``""``."""
        todo = unique_texts(texts)
        done: dict[str, str] = {}
        if self.cache is not None and todo:
            done = self.cache.get_many(self.model_key, self.params_key, todo)
            self.stats["cached"] += len(done)
            todo = [t for t in todo if t not in done]
        if todo:
            self.load()
            batches = length_sorted_batches(todo, self.batch_size)
            from tqdm import tqdm

            bar = tqdm(batches, desc="translate", unit="batch", file=sys.stderr, leave=False, disable=len(batches) <= 2)
            for idx in bar:
                batch = [todo[i] for i in idx]
                out = dict(zip(batch, self._generate(batch)))
                done.update(out)
                self.stats["translated"] += len(out)
                if self.cache is not None:  # per batch: an interrupted run keeps its work
                    self.cache.put_many(self.model_key, self.params_key, out)
            log.debug("translated %d texts in %d batches", len(todo), len(batches))
        return scatter(texts, done)

    def _generate(self, batch: list[str]) -> list[str]:
        import torch

        tok, model = self._tokenizer, self._model
        # Truncate to what the position embeddings allow (512 for opus-mt).
        enc = tok(batch, return_tensors="pt", padding=True, truncation=True, max_length=tok.model_max_length)
        enc = {k: v.to(self.device) for k, v in enc.items()}
        with torch.inference_mode():
            ids = model.generate(**enc, num_beams=self.beam, max_new_tokens=self.max_length, do_sample=False)
        # use_source_tokenizer=False: decode target pieces with target.spm
        # (transformers 5 defaults to the source spm for shared vocabs).
        return tok.batch_decode(ids, skip_special_tokens=True, use_source_tokenizer=False)

    def __repr__(self) -> str:
        return f"MarianTranslator({self.model_id!r}, beam={self.beam}, max_length={self.max_length})"
