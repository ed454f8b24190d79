"""Text in, words out: input checks, UTF-8 file reading, segmenters (jieba, LTP, one word per character), the
word ids of whole-word masking, tokens grouped into words, and the discovery of terms for jieba's dictionary.
The lowest layer: it imports no other part of zhbert but ``zhbert.errors``."""

from __future__ import annotations

from .align import (
    chinese_ref_from_word_ids,
    read_chinese_ref,
    text_token_ids,
    word_ids_from_chinese_ref,
    write_chinese_ref,
    wwm_features,
)
from .checks import check_file_text, check_texts
from .files import decode_line, json_line, read_utf8
from .ltp import LtpSegmenter
from .pieces import WordPieces, word_pieces
from .segment import (
    CharSegmenter,
    JiebaSegmenter,
    Segmenter,
    UserWord,
    get_segmenter,
    read_user_dict,
    restore_text,
    split_long_text,
)
from .terms import Term, discover_terms, function_characters, known_words, write_user_dict

__all__ = [
    "CharSegmenter",
    "JiebaSegmenter",
    "LtpSegmenter",
    "Segmenter",
    "Term",
    "UserWord",
    "WordPieces",
    "check_file_text",
    "check_texts",
    "chinese_ref_from_word_ids",
    "decode_line",
    "discover_terms",
    "function_characters",
    "get_segmenter",
    "json_line",
    "known_words",
    "read_chinese_ref",
    "read_user_dict",
    "read_utf8",
    "restore_text",
    "split_long_text",
    "text_token_ids",
    "word_ids_from_chinese_ref",
    "word_pieces",
    "write_chinese_ref",
    "write_user_dict",
    "wwm_features",
]
