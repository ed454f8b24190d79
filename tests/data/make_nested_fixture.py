"""Write ``cluener_nested_sample.json``: the lines of ``cluener_dev_sample.json`` (real CLUENER dev text) whose
organisation, company or government entities contain a place name of the list below, each such place added
inside its entity as a nested ``address`` entity (the way ``benchmarks/nested_set.py`` nests LOC in ORG).

    python tests/data/make_nested_fixture.py

The output is CLUENER JSON lines (inclusive ends), rewritten byte for byte by this script.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLACES = ("北京", "上海", "天津", "广州", "深圳", "中国", "美国")
OUTER = ("organization", "company", "government")


def nest(record: dict) -> dict | None:
    """The record with an ``address`` entity added for each place inside an outer entity; ``None`` if none is."""
    text, labels = record["text"], record["label"]
    inner: dict[str, list[list[int]]] = {}
    for kind in OUTER:
        for name, places in labels.get(kind, {}).items():
            for start, _end in places:
                for place in PLACES:
                    at = name.find(place)
                    if at >= 0:
                        where = [start + at, start + at + len(place) - 1]
                        assert text[where[0] : where[1] + 1] == place
                        if where not in inner.setdefault(place, []):
                            inner[place].append(where)
    if not inner:
        return None
    address = labels.setdefault("address", {})
    for place, where in inner.items():
        kept = address.setdefault(place, [])
        kept.extend(w for w in where if w not in kept)
    return record


def main() -> None:
    lines = (HERE / "cluener_dev_sample.json").read_text(encoding="utf-8").splitlines()
    nested = [r for r in (nest(json.loads(line)) for line in lines) if r is not None]
    out = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in nested)
    (HERE / "cluener_nested_sample.json").write_text(out, encoding="utf-8")


if __name__ == "__main__":
    main()
