"""Write ``weibo_shape.train`` and its character version ``weibo_shape_chars.train``: four sentences written for
zhbert in the shape of Weibo NER's CoNLL files (``weiboNER_2nd_conll.train``): each character followed by its
position in its word and a tab and a BIO tag with Weibo's types (PER.NAM, PER.NOM, GPE.NAM, ORG.NAM), digits that are
characters (``20 01 12 33`` for 2013, ``10`` for the digit 1 at position 0), positions past 9 in a long URL, emoji
broken into two U+FFFD characters by the export (``\\ufffd\\ufffd0``), one sentence with CRLF line ends and two blank
lines at the end. The character version is the same file with every position digit left out.

    python tests/data/make_weibo_shape.py tests/data
"""

from __future__ import annotations

import sys
from pathlib import Path

BROKEN = "\ufffd\ufffd"  # an emoji broken into two replacement characters by the export

SENTENCES = [
    [("科技", "OO"), ("全方位", "OOO"), ("资讯", "OO"), ("智能", "OO"), ("，", "O"), ("快捷", "OO"), ("的", "O"),
     ("汽车", "OO"), ("生活", "OO"), ("需要", "OO"), ("有", "O"), ("三", "O"), ("屏", "O"), ("一", "O"), ("云", "O"),
     ("爱", "O"), ("你", "O")],
    [("2013", "OOOO"), ("年", "O"), ("10", "OO"), ("月", "O"), ("21", "OO"), ("日", "O"), ("，", "O"),
     ("张小明", ["B-PER.NAM", "I-PER.NAM", "I-PER.NAM"]), ("在", "O"), ("广州", ["B-GPE.NAM", "I-GPE.NAM"]),
     ("吃", "O"), ("早茶", "OO"), (BROKEN, "O"), (BROKEN, "O"), ("！", "O")],
    [("我", "O"), ("和", "O"), ("老婆", ["B-PER.NOM", "I-PER.NOM"]), ("去", "O"), ("了", "O"),
     ("中山大学", ["B-ORG.NAM", "I-ORG.NAM", "I-ORG.NAM", "I-ORG.NAM"]), (BROKEN, "O"),
     ("http://t.cn/zOx", "O" * 15), ("…", "O")],
    [("哈哈", "OO"), (BROKEN, "O"), ("1", "O"), ("0", "O"), ("分", "O"), ("钟", "O"), ("后", "O"), ("见", "O"),
     ("@", "O"), ("李雷", ["B-PER.NAM", "I-PER.NAM"])],
]  # fmt: skip


def write(path: Path, digits: bool) -> None:
    lines = []
    for n, sentence in enumerate(SENTENCES):
        end = "\r\n" if n == 3 else "\n"  # one sentence with Windows line ends, as a re-saved file has
        for word, tags in sentence:
            pieces = [word] if word == BROKEN else list(word)
            assert len(pieces) == len(tags), word
            for i, (char, tag) in enumerate(zip(pieces, tags, strict=True)):
                lines.append(f"{char}{i if digits else ''}\t{tag}{end}")
        lines.append("\n")
    lines.append("\n")  # the file ends in two blank lines
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(lines)


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    write(folder / "weibo_shape.train", digits=True)
    write(folder / "weibo_shape_chars.train", digits=False)
