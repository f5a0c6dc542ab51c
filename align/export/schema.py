"""The HF schema of a pair record, derived from :class:`align.types.Pair`.

Shared by the export (:mod:`align.export.hf`) and the dataset card
(:mod:`align.export.card`), so neither imports the other.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import TYPE_CHECKING, Any

from align.types import PAIR_TYPES, Pair, record_key, required

if TYPE_CHECKING:
    import datasets

# The Pair fields that make the one ``translation`` column, {src_lang: src, tgt_lang: tgt}.
TRANSLATION = ("src_lang", "tgt_lang", "src", "tgt")


def _columns() -> tuple[tuple[str, Any, str], ...]:
    """``(name, type, description)`` of each column, from :class:`Pair`.

    The Pair's fields in order, under their record keys, with ``translation``
    (type None) in place of the :data:`TRANSLATION` fields.
    """
    out = []
    for f in dataclasses.fields(Pair):
        if f.name == TRANSLATION[0]:
            out.append(("translation", None, "`{src_lang: text, tgt_lang: text}`"))
        elif f.name not in TRANSLATION:
            out.append((record_key(f), PAIR_TYPES[f.name], f.metadata["doc"]))
    return tuple(out)


SCHEMA = _columns()
COLUMNS = tuple(name for name, _, _ in SCHEMA)
# JSON text: their keys differ between methods and pairs.
JSON_COLUMNS = tuple(name for name, hint, _ in SCHEMA if typing.get_origin(hint) is dict)
REQUIRED_COLUMNS = tuple(dict.fromkeys(
    "translation" if f.name in TRANSLATION else record_key(f) for f in dataclasses.fields(Pair) if required(f)))


@functools.cache
def members(typed_dict: type) -> dict[str, Any]:
    """The member types of a TypedDict column (a struct)."""
    return typing.get_type_hints(typed_dict)


def _feature(hint: Any) -> Any:
    """The ``datasets`` feature of a Pair field's type."""
    import datasets

    if typing.is_typeddict(hint):
        return {k: _feature(t) for k, t in members(hint).items()}
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # X | None
        (inner,) = (a for a in args if a is not type(None))
        return _feature(inner)
    if origin is tuple and Ellipsis not in args:  # a span
        return datasets.Sequence(_feature(args[0]), length=len(args))
    if origin in (tuple, list):
        return datasets.Sequence(_feature(args[0]))
    if origin is dict:
        return datasets.Value("string")  # JSON text
    return datasets.Value({str: "string", int: "int64", float: "float64"}[hint])


def config_name(src_lang: str, tgt_lang: str) -> str:
    return f"{src_lang}-{tgt_lang}"


def features_for(src_lang: str, tgt_lang: str) -> datasets.Features:
    """Explicit schema: empty splits and all-None columns keep stable types."""
    import datasets

    return datasets.Features({
        name: datasets.Translation(languages=[src_lang, tgt_lang]) if hint is None else _feature(hint)
        for name, hint, _ in SCHEMA
    })
