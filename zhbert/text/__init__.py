"""Text in, words out: input checks, UTF-8 file reading, Chinese characters, the home folder, segmenters (jieba,
LTP, one word per character), the word ids of whole-word masking and tokens grouped into words.
The lowest layer: it imports no other part of zhbert but ``zhbert.errors``."""

from __future__ import annotations

from .chars import cjk_mask, is_cjk
from .checks import check_file_text, check_texts
from .files import decode_line, json_line, nonblank_lines, read_lines, read_utf8
from .home import zhbert_home
from .pieces import WordPieces, word_pieces
from .segmenters import (
    CharSegmenter,
    JiebaSegmenter,
    LtpSegmenter,
    Segmenter,
    UserWord,
    get_segmenter,
    read_user_dict,
    restore_text,
    split_long_text,
    word_offsets,
)
from .word_ids import (
    chinese_ref_from_word_ids,
    read_chinese_ref,
    text_token_ids,
    word_ids_from_chinese_ref,
    write_chinese_ref,
    wwm_features,
)

__all__ = [
    "CharSegmenter",
    "JiebaSegmenter",
    "LtpSegmenter",
    "Segmenter",
    "UserWord",
    "WordPieces",
    "check_file_text",
    "check_texts",
    "chinese_ref_from_word_ids",
    "cjk_mask",
    "decode_line",
    "get_segmenter",
    "is_cjk",
    "json_line",
    "nonblank_lines",
    "read_chinese_ref",
    "read_lines",
    "read_user_dict",
    "read_utf8",
    "restore_text",
    "split_long_text",
    "text_token_ids",
    "word_ids_from_chinese_ref",
    "word_offsets",
    "word_pieces",
    "write_chinese_ref",
    "wwm_features",
    "zhbert_home",
]
