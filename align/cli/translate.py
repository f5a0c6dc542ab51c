"""``align translate``: translate lines with MarianMT (cached, token-budget batches; transformers or CTranslate2)."""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("translate", help="translate a file of lines with a MarianMT model")
    p.add_argument("--config", help="YAML config: translation settings and models")
    p.add_argument("--model", help="model name or local dir (default: the config's model for the direction)")
    p.add_argument("--src-lang", required=True)
    p.add_argument("--tgt-lang", required=True)
    p.add_argument("--input", required=True, help="one text per line; '-' for stdin")
    p.add_argument("--output", default="-", help="one translation per line; '-' for stdout")
    p.add_argument("--beam", type=int, help="beam size (overrides the config)")
    p.add_argument("--max-length", type=int, help="maximum new tokens (overrides the config)")
    p.set_defaults(func=main)


def main(args) -> int:
    from ..config import load_config
    from ..export import atomic_write_text
    from ..segment.langid import check_languages
    from ..translate import build_translator, check_model_direction, translator_options
    from ..types import ConfigError, InputError

    check_languages([args.src_lang], "--src-lang")
    check_languages([args.tgt_lang], "--tgt-lang")
    cfg = load_config(args.config).translation
    model = args.model or cfg.models.get(f"{args.src_lang}-{args.tgt_lang}")
    if not model:
        raise ConfigError(f"no model for {args.src_lang}-{args.tgt_lang}: pass --model or set translation.models")
    # Refused before any input is read or weights load: a model of another
    # direction would "translate" every line into fluent nonsense.
    check_model_direction(model, args.src_lang, args.tgt_lang,
                          "--model" if args.model else f"translation.models.{args.src_lang}-{args.tgt_lang}")
    try:
        raw = sys.stdin.buffer.read() if args.input == "-" else Path(args.input).read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{args.input}: file not found") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{args.input}: not valid UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})") from None
    lines = text.splitlines()
    options = translator_options(cfg)
    options.update(beam=args.beam or cfg.beam, max_length=args.max_length or cfg.max_length)
    translator = build_translator(cfg.type, model, args.src_lang, args.tgt_lang, **options)
    out = "".join(t.replace("\n", " ") + "\n" for t in translator.translate(lines))
    if args.output == "-":
        sys.stdout.write(out)
    else:
        atomic_write_text(args.output, out)
    print(f"translated {translator.stats['translated']}, from cache {translator.stats['cached']}", file=sys.stderr)
    return 0
