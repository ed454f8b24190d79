"""Corpus preparation, run once and cached: read and check the corpus, split off validation, then segment,
tokenize and pack through ``datasets.map`` (multi-process), and save the result under a key that covers exactly
what changes the output: the corpus bytes, the split, the segmenter (with its dictionary), the tokenizer and
``max_seq_length``. Anything else (learning rate, worker count, ...) reuses the cache.

With ``user_dict="auto"`` the jieba dictionary is discovered from the training units (``zhbert.terms``)
before segmenting, and saved as ``terms.txt`` (and ``terms.tsv``) in the cache folder; the key then covers the
discovery settings in place of the dictionary, which they determine together with the corpus and the split.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import datasets

from zhbert.errors import MissingFileError, UsageError
from zhbert.text import JiebaSegmenter, Segmenter, zhbert_home

from .arguments import AUTO_USER_DICT, DataArguments
from .corpus import CorpusError, check_corpus, corpus_fingerprint, is_validation_unit, iter_units, pack_units

__all__ = ["TERMS_FILE", "PreparedCorpus", "default_cache_root", "prepare_corpus"]

logger = logging.getLogger(__name__)
FORMAT_VERSION = 2
MAP_BATCH_UNITS = 16
TERMS_FILE = "terms.txt"
TERMS_METHOD = 2  # raise when discover_terms changes what it finds: prepared corpora of older terms are not reused


@dataclass
class PreparedCorpus:
    train: datasets.Dataset | datasets.IterableDataset
    eval: datasets.Dataset | datasets.IterableDataset | None
    cache_path: Path | None
    reused: bool
    user_dict: Path | None = None  # the discovered dictionary, with user_dict="auto"


def default_cache_root() -> Path:
    """Where prepared corpora are cached by default: ``$ZHBERT_HOME/datasets``."""
    return zhbert_home("datasets")


def _tokenizer_fingerprint(tokenizer: Any) -> str:
    return hashlib.sha256(tokenizer.backend_tokenizer.to_str().encode("utf-8")).hexdigest()


def _cache_key(args: DataArguments, tokenizer: Any, segmenter: Segmenter) -> str:
    key: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "train": corpus_fingerprint(args.train_file) if args.train_file else None,
        "validation": corpus_fingerprint(args.validation_file) if args.validation_file else None,
        "split": None if args.validation_file else args.validation_split_percentage,
        "text_column": args.text_column,
        "segmenter": segmenter.cache_key(),
        "tokenizer": _tokenizer_fingerprint(tokenizer),
        "max_seq_length": args.max_seq_length,
    }
    if args.user_dict == AUTO_USER_DICT:
        key["auto_terms"] = {
            "method": TERMS_METHOD,
            "top": args.terms_top,
            "min_count": args.terms_min_count,
            "max_len": args.terms_max_len,
        }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode("utf-8")).hexdigest()[:24]


def _packer(tokenizer: Any, segmenter: Segmenter, max_seq_length: int) -> Callable[[dict[str, list]], dict]:
    def pack(batch: dict[str, list]) -> dict[str, list]:
        return pack_units(batch["text"], tokenizer, segmenter, max_seq_length)

    return pack


def _check_auto(segmenter: Segmenter) -> None:
    """The segmenter given with ``user_dict="auto"`` (the arguments check the rest when they are built)."""
    if not isinstance(segmenter, JiebaSegmenter):
        raise UsageError(
            f"user_dict auto discovers a dictionary for jieba; the {segmenter.name} segmenter cannot use it",
            argument="user_dict",
        )
    if segmenter.user_words():
        raise UsageError("with user_dict auto, give a jieba segmenter without a dictionary", argument="user_dict")


def _discover_dictionary(args: DataArguments, units: list[str], segmenter: JiebaSegmenter, work: Path) -> Segmenter:
    """Find the training units' terms, save them in ``work`` and return the segmenter that uses them."""
    from zhbert.terms import discover_terms, write_user_dict

    terms = discover_terms(
        (paragraph for unit in units for paragraph in unit.split("\n")),
        min_count=args.terms_min_count,
        max_len=args.terms_max_len,
        top_k=args.terms_top,
        processes=max(args.preprocessing_num_workers or 1, 1),
    )
    path = write_user_dict(terms, work / TERMS_FILE)[0]
    logger.info(
        "Discovered %d terms for jieba's dictionary, kept in %s: %s%s",
        len(terms),
        TERMS_FILE,
        " ".join(t.word for t in terms[:20]),
        " ..." if len(terms) > 20 else "",
    )
    return JiebaSegmenter(user_dict=path, hmm=segmenter.hmm, max_chars=segmenter.max_chars)


def _split_units(args: DataArguments) -> tuple[list[str], list[str]]:
    assert args.train_file is not None
    units = list(iter_units(args.train_file, args.text_column))
    if not units:
        raise CorpusError(f"{args.train_file} holds no text")
    if args.validation_file:
        eval_units = list(iter_units(args.validation_file, args.text_column))
        if not eval_units:
            raise CorpusError(f"{args.validation_file} holds no text")
        return units, eval_units
    if args.validation_split_percentage <= 0:
        return units, []
    chosen = [is_validation_unit(i, args.validation_split_percentage) for i in range(len(units))]
    if not any(chosen):
        if len(units) < 2:
            raise CorpusError(
                f"{args.train_file} has one document: give validation_file, or set validation_split_percentage to 0",
                argument="validation_split_percentage",
            )
        chosen[-1] = True
    train = [u for u, c in zip(units, chosen, strict=True) if not c]
    held_out = [u for u, c in zip(units, chosen, strict=True) if c]
    if not train:
        raise CorpusError(
            f"{args.train_file}: every document went to validation; lower validation_split_percentage",
            argument="validation_split_percentage",
        )
    return train, held_out


def _map_packed(
    units: list[str], pack: Callable, args: DataArguments, workdir: Path, name: str, fingerprint: str
) -> datasets.Dataset:
    raw = datasets.Dataset.from_dict({"text": units})
    packed = raw.map(
        pack,
        batched=True,
        batch_size=MAP_BATCH_UNITS,
        num_proc=args.preprocessing_num_workers if (args.preprocessing_num_workers or 0) > 1 else None,
        remove_columns=["text"],
        cache_file_name=str(workdir / f"map-{name}.arrow"),
        new_fingerprint=f"{fingerprint}-{name}",
        desc=f"Segmenting, tokenizing and packing the {name} corpus",
    )
    return packed.add_column("idx", list(range(len(packed))))


def prepare_corpus(
    args: DataArguments,
    tokenizer: Any,
    segmenter: Segmenter,
    main_process_first: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> PreparedCorpus:
    """Prepared train and validation blocks: columns ``input_ids``, ``attention_mask``, ``token_type_ids``,
    ``word_ids`` and ``idx`` (the block's row, which seeds its masking)."""
    if not args.train_file:
        raise UsageError("give a training corpus (train_file)", argument="train_file")
    for name in ("train_file", "validation_file"):
        path = getattr(args, name)
        if path and not Path(path).exists():
            raise MissingFileError(f"corpus not found: {path}", argument=name)
    auto = args.user_dict == AUTO_USER_DICT
    if auto:
        _check_auto(segmenter)
    if args.streaming:
        return _prepare_streaming(args, tokenizer, segmenter)
    root = Path(args.prepared_cache_dir) if args.prepared_cache_dir else default_cache_root()
    with main_process_first():
        key = _cache_key(args, tokenizer, segmenter)
        final = root / f"wwm-{key}"
        reused = (final / "meta.json").is_file() and not args.overwrite_cache
        if reused:
            logger.info("Using the prepared corpus cached at %s", final)
        else:
            train_units, eval_units = _split_units(args)
            work = root / f"wwm-{key}.tmp-{os.getpid()}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            if auto:
                assert isinstance(segmenter, JiebaSegmenter)
                segmenter = _discover_dictionary(args, train_units, segmenter, work)
            pack = _packer(tokenizer, segmenter, args.max_seq_length)
            train = _map_packed(train_units, pack, args, work, "train", key)
            train.save_to_disk(str(work / "train"))
            if eval_units:
                _map_packed(eval_units, pack, args, work, "validation", key).save_to_disk(str(work / "validation"))
            for arrow in work.glob("map-*.arrow"):
                arrow.unlink()
            meta = {"train_units": len(train_units), "validation_units": len(eval_units), "train_blocks": len(train)}
            (work / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            # The cache appears complete or not at all.
            shutil.rmtree(final, ignore_errors=True)
            os.replace(work, final)
    train_ds = datasets.load_from_disk(str(final / "train"))
    eval_ds = datasets.load_from_disk(str(final / "validation")) if (final / "validation").is_dir() else None
    assert isinstance(train_ds, datasets.Dataset)
    if args.max_train_samples is not None:
        train_ds = train_ds.select(range(min(args.max_train_samples, len(train_ds))))
    if eval_ds is not None and args.max_eval_samples is not None:
        assert isinstance(eval_ds, datasets.Dataset)
        eval_ds = eval_ds.select(range(min(args.max_eval_samples, len(eval_ds))))
    user_dict = final / TERMS_FILE if auto else None
    return PreparedCorpus(train=train_ds, eval=eval_ds, cache_path=final, reused=reused, user_dict=user_dict)


def _stream_units(path: str, text_column: str, keep: Callable[[int], bool]) -> Iterator[dict[str, str]]:
    for i, unit in enumerate(iter_units(path, text_column)):
        if keep(i):
            yield {"text": unit}


def _prepare_streaming(args: DataArguments, tokenizer: Any, segmenter: Segmenter) -> PreparedCorpus:
    assert args.train_file is not None
    # Catch the usual mistakes before training: the first 16 MB are read and checked.
    check_corpus(args.train_file, args.text_column, max_bytes=16 << 20)
    pct = 0.0 if args.validation_file else args.validation_split_percentage
    pack = _packer(tokenizer, segmenter, args.max_seq_length)

    def stream(path: str, keep: Callable[[int], bool]) -> datasets.IterableDataset:
        units = datasets.IterableDataset.from_generator(
            _stream_units, gen_kwargs={"path": path, "text_column": args.text_column, "keep": keep}
        )
        packed = units.map(pack, batched=True, batch_size=MAP_BATCH_UNITS, remove_columns=["text"])
        return packed.map(lambda row, i: {"idx": i}, with_indices=True)

    train = stream(args.train_file, partial(_not_validation, pct=pct))
    eval_ds: datasets.IterableDataset | None = None
    if args.validation_file:
        check_corpus(args.validation_file, args.text_column, max_bytes=16 << 20)
        eval_ds = stream(args.validation_file, _keep_all)
    elif pct > 0:
        eval_ds = stream(args.train_file, partial(is_validation_unit, percentage=pct))
    if eval_ds is not None:
        eval_ds = eval_ds.take(args.max_eval_samples or 1000)
    if args.max_train_samples is not None:
        train = train.take(args.max_train_samples)
    return PreparedCorpus(train=train, eval=eval_ds, cache_path=None, reused=False)


def _not_validation(index: int, pct: float) -> bool:
    return not is_validation_unit(index, pct)


def _keep_all(index: int) -> bool:
    return True
