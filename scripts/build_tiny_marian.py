#!/usr/bin/env python
"""Build a tiny, randomly initialised MarianMT in the real opus-mt file layout.

Used by tests (and for offline smoke runs): it loads with
``MarianTokenizer.from_pretrained(dir)`` / ``MarianMTModel.from_pretrained(dir)``
with no network. Weights are random but seeded, so outputs are meaningless yet
deterministic. Builds in a couple of seconds.

    python scripts/build_tiny_marian.py OUT_DIR [--src fr] [--tgt en] [--seed 0]
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import random
from pathlib import Path

# Small generated corpora: enough distinct words for SentencePiece to learn a
# few hundred pieces. Written here, not copied from any data set.
_WORDS = {
    "fr": (
        "le la les un une des du de et ou mais donc car ni que qui quoi dont où "
        "chat chien maison jardin ville pays monde jour nuit matin soir année "
        "président ministre gouvernement peuple loi vote élection parti réunion "
        "mange boit court parle écrit lit regarde écoute pense voit dit fait "
        "grand petit rouge bleu vert nouveau vieux beau heureux triste rapide "
        "aujourd'hui hier demain toujours jamais souvent ici là très trop "
        "nous vous ils elles je tu il elle on avec sans pour contre sur sous "
        "français anglais journal article réseau message annonce déclaration"
    ),
    "en": (
        "the a an of and or but so because nor that who what whose where "
        "cat dog house garden city country world day night morning evening year "
        "president minister government people law vote election party meeting "
        "eats drinks runs speaks writes reads watches listens thinks sees says does "
        "big small red blue green new old beautiful happy sad fast "
        "today yesterday tomorrow always never often here there very too "
        "we you they I he she it with without for against on under "
        "french english newspaper article network message announcement statement"
    ),
}


def _corpus(lang: str, seed: int, n: int = 400) -> list[str]:
    """Pseudo-sentences over the language's word list (plus punctuation/digits)."""
    words = _WORDS.get(lang, _WORDS["en"]).split()
    rng = random.Random(f"{lang}-{seed}")
    lines = []
    for i in range(n):
        sent = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
        lines.append(f"{sent.capitalize()}{rng.choice('.!?,;:')} {i % 97}")
    return lines


def _train_spm(lines: list[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buf,
        vocab_size=vocab_size,
        hard_vocab_limit=False,  # tiny corpus: allow fewer pieces than asked
        model_type="unigram",
        character_coverage=1.0,
        # opus-mt spm models: <unk>=0, <s>=1, </s>=2, no pad.
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return buf.getvalue()


def _pieces(model: bytes) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=model)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def build_tiny_marian(
    out_dir: str | Path, src_lang: str = "fr", tgt_lang: str = "en", seed: int = 0
) -> Path:
    """Write a tiny MarianMT (tokenizer files, config, safetensors weights) to ``out_dir``."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel
    from transformers.utils import logging as hf_logging

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    src_model = _train_spm(_corpus(src_lang, seed), 300)
    tgt_model = _train_spm(_corpus(tgt_lang, seed), 300)
    (out / "source.spm").write_bytes(src_model)
    (out / "target.spm").write_bytes(tgt_model)

    # Marian's shared vocab: </s>=0, <unk>=1, then pieces of both models, <pad> last.
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    skip = {"<unk>", "<s>", "</s>"}
    for piece in itertools.chain(_pieces(src_model), _pieces(tgt_model)):
        if piece not in vocab and piece not in skip:
            vocab[piece] = len(vocab)
    pad_id = len(vocab)
    vocab["<pad>"] = pad_id
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1), encoding="utf-8")

    tok_cfg = {
        "source_lang": src_lang,
        "target_lang": tgt_lang,
        "unk_token": "<unk>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "model_max_length": 512,
        "separate_vocabs": False,
        "tokenizer_class": "MarianTokenizer",
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=1), encoding="utf-8")

    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=512,
        activation_function="swish",  # as in opus-mt configs
        # Larger than the default 0.02 so random outputs depend on the input
        # (tests of ordering/batching could not fail on a constant output).
        init_std=0.5,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
        pad_token_id=pad_id,
        decoder_start_token_id=pad_id,
        eos_token_id=0,
        forced_eos_token_id=0,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config).eval()
    # As in opus-mt's generation_config.json; bad_words_ids keeps <pad> out of outputs.
    model.generation_config = GenerationConfig(
        decoder_start_token_id=pad_id,
        pad_token_id=pad_id,
        eos_token_id=0,
        forced_eos_token_id=0,
        bad_words_ids=[[pad_id]],
        max_length=512,
        num_beams=4,
    )
    hf_logging.disable_progress_bar()  # no "Writing model shards" bar in test logs
    try:
        model.save_pretrained(out)  # safetensors is the default in transformers 5
    finally:
        hf_logging.enable_progress_bar()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--src", default="fr")
    ap.add_argument("--tgt", default="en")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    print(build_tiny_marian(a.out_dir, a.src, a.tgt, a.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
