"""MarianMT (opus-mt) translation with transformers: batched, cached, offline-friendly.

``MarianBackend`` holds what every backend of an opus-mt model shares: finding
the model directory (local or the Hugging Face cache), the SentencePiece
tokenizers, truncation, dedup, the translation cache and token-budget batching.
``MarianTranslator`` runs the model with transformers' ``generate``;
``align.translate.ctranslate2.CTranslate2Translator`` with CTranslate2.

torch, transformers and huggingface_hub are imported only when a model is
loaded or looked up, so importing this module stays cheap.
"""

from __future__ import annotations

import json
import pickle
import logging
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from align.cpus import available_cpus
from align.translate.batching import scatter, token_budget_batches, unique_texts
from align.translate.cache import TranslationCache, model_cache_key, params_cache_key
from align.types import ConfigError, ModelError

log = logging.getLogger(__name__)

_WEIGHTS = ("model.safetensors", "pytorch_model.bin")


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


# Helsinki-NLP names: opus-mt-fr-en, opus-mt-tc-big-fr-en; groups such as
# "ROMANCE" or "mul" are no single language and leave the side undetermined.
_OPUS_NAME = re.compile(r"opus-mt-(?:tc-(?:big|base)-)?([A-Za-z]+)-([A-Za-z]+)$")


def _iso639_1(code: object) -> str | None:
    """``code`` as a supported ISO 639-1 code ('fra' -> 'fr'), or None."""
    from align.segment.langid import supported_languages

    if not isinstance(code, str):
        return None
    code = code.strip().lower()
    if code in supported_languages():
        return code
    if len(code) == 3:
        from lingua import IsoCode639_3, Language

        try:
            return Language.from_iso_code_639_3(IsoCode639_3.from_str(code)).iso_code_639_1.name.lower()
        except ValueError:
            return None
    return None


def _read_json(path: str | Path | None) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def model_direction(model: str) -> tuple[str | None, str | None]:
    """(source, target) ISO 639-1 codes of a MarianMT model, None for a side nothing local tells.

    Looks at tokenizer_config.json (source_lang/target_lang), then the name in
    config.json, then the model's own name (``opus-mt-SRC-TGT``); never the network.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        files = {name: path / name for name in ("tokenizer_config.json", "config.json")}
    elif _looks_like_path(model):
        files = {}
    else:
        files = {name: _cached_file(model, name) for name in ("tokenizer_config.json", "config.json")}
    tok = _read_json(files.get("tokenizer_config.json"))
    candidates = [(tok.get("source_lang"), tok.get("target_lang"))]
    for name in (_read_json(files.get("config.json")).get("_name_or_path"), str(model)):
        m = _OPUS_NAME.search(str(name or "").rstrip("/\\"))
        if m:
            candidates.append(m.groups())
    src = next((c for c in (_iso639_1(a) for a, _ in candidates) if c), None)
    tgt = next((c for c in (_iso639_1(b) for _, b in candidates) if c), None)
    return src, tgt


def check_model_direction(model: str, src_lang: str, tgt_lang: str, what: str = "model") -> None:
    """ConfigError if ``model`` is known to translate another direction than ``src_lang``-``tgt_lang``."""
    src, tgt = model_direction(model)
    if (src and src != src_lang) or (tgt and tgt != tgt_lang):
        raise ConfigError(f"{what} '{model}' translates {src or '?'}-{tgt or '?'}, not {src_lang}-{tgt_lang}: "
                          f"use a model for {src_lang}-{tgt_lang}")


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _set_torch_threads(torch: Any, threads: int) -> None:
    """``threads`` > 0: use that many; 0: every CPU, unless OMP/MKL_NUM_THREADS chose a count."""
    if threads > 0:
        torch.set_num_threads(threads)
    elif "OMP_NUM_THREADS" not in os.environ and "MKL_NUM_THREADS" not in os.environ:
        torch.set_num_threads(available_cpus())


class MarianBackend:
    """What every backend of an opus-mt model shares; subclasses load and run the model.

    Texts are deduplicated, looked up in the cache, tokenized with the
    model's ``source.spm``, truncated to ``max_input_tokens`` (with a
    warning, never dropped), grouped longest first into batches of at most
    ``max_batch_tokens`` padded source tokens and ``batch_size`` sentences,
    translated, and detokenized with ``target.spm``.

    ``stats["translated"]`` counts distinct texts the model translated,
    ``stats["cached"]`` distinct texts served from the cache.
    """

    backend = ""  # part of the cache key for backends other than transformers

    def __init__(
        self,
        model: str,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
        *,
        beam: int = 4,
        max_length: int = 256,
        batch_size: int = 64,
        max_batch_tokens: int = 4096,
        max_input_tokens: int | None = None,
        threads: int = 0,
        cache: TranslationCache | str | Path | None = None,
        device: str = "cpu",
        local_files_only: bool | None = None,
    ):
        if min(beam, max_length, batch_size, max_batch_tokens) < 1:
            raise ConfigError(
                "beam, max_length, batch_size and max_batch_tokens must be >= 1 "
                f"(got {beam}, {max_length}, {batch_size}, {max_batch_tokens})"
            )
        if (max_input_tokens is not None and max_input_tokens < 2) or threads < 0:
            raise ConfigError(f"max_input_tokens must be >= 2 and threads >= 0 (got {max_input_tokens}, {threads})")
        self.model_id = str(model)
        self.src_lang = src_lang
        self.tgt_lang = tgt_lang
        self.beam = beam
        # Most new tokens per output, the end-of-sentence token included (as
        # transformers' max_new_tokens): at most max_length - 1 text tokens.
        self.max_length = max_length
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.max_input_tokens = max_input_tokens
        self.threads = threads
        self.device = device
        self.local_files_only = local_files_only
        self.cache = TranslationCache(cache) if isinstance(cache, (str, Path)) else cache
        self.stats: dict[str, int] = {"translated": 0, "cached": 0}
        params: dict[str, object] = {"beam": beam, "max_length": max_length}
        if max_input_tokens is not None:
            params["max_input_tokens"] = max_input_tokens
        self.params_key = params_cache_key(**params)
        self._model_key: str | None = None
        self._tokenizer: Any = None
        self._model: Any = None
        self._input_limit = 0  # set on load: max_input_tokens capped by the model's positions

    @property
    def model_key(self) -> str:
        """Cache key of the model (computed once: a rebuild mid-run is not expected)."""
        if self._model_key is None:
            key = model_cache_key(self.model_id)
            self._model_key = f"{key}#{self.backend}" if self.backend else key
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

    def load(self):
        """Load tokenizer and model (idempotent); raises ModelError if unavailable."""
        if self._model is not None:
            return self
        path = self._resolve_dir()
        from transformers import MarianTokenizer

        log.info("loading MarianMT model %s (%s) from %s", self.model_id, self.backend or "transformers", path)
        try:
            with warnings.catch_warnings():
                # Without sacremoses, punctuation normalisation is skipped; harmless.
                warnings.filterwarnings("ignore", message=".*sacremoses.*")
                tokenizer = MarianTokenizer.from_pretrained(path, local_files_only=True)
            positions = json.loads((path / "config.json").read_text(encoding="utf-8")).get("max_position_embeddings")
            self._model = self._load_model(path)
        except ModelError:
            raise
        except Exception as exc:  # OSError, ValueError, bad or missing files...
            if isinstance(exc, pickle.UnpicklingError) or "Weights only load failed" in str(exc):
                raise self._fail("pytorch_model.bin is not plain weights: refused in weights-only mode "
                                 "(convert it to model.safetensors)") from exc
            raise self._fail(_one_line(exc)) from exc
        limit = int(positions or tokenizer.model_max_length or 512)
        self._input_limit = min(self.max_input_tokens or limit, limit)
        self._tokenizer = tokenizer
        return self

    def _load_model(self, path: Path) -> Any:
        raise NotImplementedError

    def _generate(self, batch: list[list[int]]) -> list[list[int]]:
        """Output token ids (special tokens allowed) for a batch of source token ids."""
        raise NotImplementedError

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
            ids = self._encode(todo)
            batches = token_budget_batches([len(x) for x in ids], self.max_batch_tokens, self.batch_size)
            from tqdm import tqdm

            bar = tqdm(batches, desc="translate", unit="batch", file=sys.stderr, leave=False, disable=len(batches) <= 2)
            for idx in bar:
                outputs = self._decode(self._generate([ids[i] for i in idx]))
                out = {todo[i]: o for i, o in zip(idx, outputs)}
                done.update(out)
                self.stats["translated"] += len(out)
                if self.cache is not None:  # per batch: an interrupted run keeps its work
                    self.cache.put_many(self.model_key, self.params_key, out)
            log.debug("translated %d texts in %d batches", len(todo), len(batches))
        return scatter(texts, done)

    def _encode(self, texts: list[str]) -> list[list[int]]:
        """Source token ids (ending in ``</s>``), truncated to the input limit with a warning."""
        tok = self._tokenizer
        ids = tok(texts, verbose=False)["input_ids"]  # verbose=False: we warn ourselves, once
        limit = self._input_limit
        long = [i for i, x in enumerate(ids) if len(x) > limit]
        if long:
            log.warning(
                "%s: truncated %d of %d inputs to %d tokens (longest had %d); their translations cover only the start",
                self.model_id, len(long), len(ids), limit, max(len(ids[i]) for i in long),
            )
            for i in long:
                ids[i] = ids[i][: limit - 1] + [tok.eos_token_id]
        return ids

    def _decode(self, ids: list[list[int]]) -> list[str]:
        # use_source_tokenizer=False: decode target pieces with target.spm
        # (transformers 5 defaults to the source spm for shared vocabs).
        return self._tokenizer.batch_decode(ids, skip_special_tokens=True, use_source_tokenizer=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r}, beam={self.beam}, max_length={self.max_length})"


class MarianTranslator(MarianBackend):
    """Translate with a MarianMT model (a hub id such as ``Helsinki-NLP/opus-mt-fr-en`` or a
    local dir) using transformers' ``MarianMTModel.generate`` in float32."""

    def _load_model(self, path: Path) -> Any:
        import torch
        from transformers import MarianMTModel

        if self.device == "cpu":
            _set_torch_threads(torch, self.threads)
        use_st = True if (path / "model.safetensors").is_file() else None  # prefer safetensors
        with warnings.catch_warnings():
            # A refused pickle is reported by ModelError; torch's protocol warning is noise.
            warnings.filterwarnings("ignore", message=".*pickle protocol.*")
            # weights_only spelled out: a pickled .bin can then never run code,
            # whatever a future transformers default becomes.
            mt = MarianMTModel.from_pretrained(path, local_files_only=True, use_safetensors=use_st,
                                               weights_only=True)
        mt.to(self.device).eval()
        # We always pass max_new_tokens; a max_length in the model's generation
        # config (opus-mt has 512) would only trigger a warning on every call.
        mt.generation_config.max_length = None
        return mt

    def _generate(self, batch: list[list[int]]) -> list[list[int]]:
        import torch

        enc = self._tokenizer.pad({"input_ids": batch}, return_tensors="pt")
        enc = {k: v.to(self.device) for k, v in enc.items()}
        with torch.inference_mode():
            ids = self._model.generate(**enc, num_beams=self.beam, max_new_tokens=self.max_length, do_sample=False)
        return ids.tolist()
