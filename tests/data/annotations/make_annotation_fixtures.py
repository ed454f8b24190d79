"""Write the annotation-tool fixtures of this folder, each in the shape its tool exports (see README.md).

python tests/data/annotations/make_annotation_fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def u16(text: str, index: int) -> int:
    return index + sum(1 for c in text[:index] if ord(c) > 0xFFFF)


def at(text: str, entity: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(entity, start + 1)
    return start, start + len(entity)


S1 = "张小明在北京大学读书。"
S2 = "😀今天华为发布了新手机，余承东说很好。"
S3 = "李雷和韩梅梅去了上海。"
S4 = "第一行\r\n马云创立了阿里巴巴。"
S5 = "吃早茶😀😀，见张小明"


def jsonl(name: str, records: list[dict]) -> None:
    (HERE / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def doccano() -> None:
    def label(text: str, *ents: tuple[str, str]) -> list[list]:
        return [[*at(text, e), t] for e, t in ents]

    jsonl(
        "doccano_label.jsonl",
        [
            {"id": 1, "text": S1, "label": label(S1, ("张小明", "PER"), ("北京大学", "ORG")), "Comments": []},
            {
                "id": 2,
                "text": S3,
                "label": label(S3, ("李雷", "PER"), ("韩梅梅", "PER"), ("上海", "LOC")),
                "Comments": [],
            },
            {"id": 3, "text": "今天天气不错。", "label": [], "Comments": []},
        ],
    )
    ents = [
        {"id": 10 + i, "label": t, "start_offset": s, "end_offset": e}
        for i, (s, e, t) in enumerate(
            [(*at(S1, "张小明"), "PER"), (*at(S1, "北京大学"), "ORG"), (*at(S1, "北京"), "LOC")]
        )
    ]
    jsonl(
        "doccano_entities.jsonl",
        [
            {"id": 1, "text": S1, "entities": ents, "relations": [], "Comments": []},
            {
                "id": 2,
                "text": S4,
                "entities": [
                    {"id": 13, "label": "PER", "start_offset": at(S4, "马云")[0], "end_offset": at(S4, "马云")[1]}
                ],
                "relations": [],
                "Comments": [],
            },
        ],
    )
    jsonl("doccano_data.jsonl", [{"id": 1, "data": S3, "label": label(S3, ("李雷", "PER")), "user": 1}])
    s, e = at(S5, "张小明")
    s2, e2 = at(S2, "华为")
    jsonl(
        "doccano_utf16.jsonl",
        [
            {"id": 1, "text": S2, "label": [[u16(S2, s2), u16(S2, e2), "ORG"]], "Comments": []},
            {"id": 2, "text": S5, "label": [[u16(S5, s), u16(S5, e), "PER"]], "Comments": []},
        ],
    )


def region(rid: str, text: str, start: int, end: int, label: str, utf16: bool = False) -> dict:
    s, e = (u16(text, start), u16(text, end)) if utf16 else (start, end)
    value = {"start": s, "end": e, "text": text[start:end], "labels": [label]}
    return {"value": value, "id": rid, "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual"}


def annotation(aid: int, who: int, result: list[dict], updated: str, cancelled: bool = False) -> dict:
    return {
        "id": aid,
        "completed_by": who,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": updated,
        "updated_at": updated,
        "lead_time": 12.5,
        "prediction": {},
        "result_count": 0,
        "task": 0,
        "parent_prediction": None,
        "parent_annotation": None,
    }


def label_studio() -> None:
    t1 = [region("a1", S1, *at(S1, "张小明"), "PER"), region("a2", S1, *at(S1, "北京大学"), "ORG")]
    t1_late = [*t1, region("b3", S1, *at(S1, "北京"), "LOC")]
    relation = {"from_id": "a1", "to_id": "a2", "type": "relation", "direction": "right", "labels": []}
    t2 = [region("c1", S2, *at(S2, "华为"), "ORG", utf16=True), region("c2", S2, *at(S2, "余承东"), "PER", utf16=True)]
    tasks = [
        {
            "id": 1,
            "annotations": [
                annotation(1, 1, [*t1, relation], "2024-03-01T10:00:00.000000Z"),
                annotation(2, 2, t1_late, "2024-03-02T09:00:00.000000Z"),
            ],
            "file_upload": "c1b2-tasks.json",
            "drafts": [],
            "predictions": [],
            "data": {"text": S1},
            "meta": {},
            "created_at": "2024-03-01T09:00:00.000000Z",
            "updated_at": "2024-03-02T09:00:00.000000Z",
            "inner_id": 1,
            "total_annotations": 2,
            "cancelled_annotations": 0,
            "total_predictions": 0,
            "comment_count": 0,
            "unresolved_comment_count": 0,
            "last_comment_updated_at": None,
            "project": 3,
            "updated_by": 2,
            "comment_authors": [],
        },
        {
            "id": 2,
            "annotations": [
                annotation(3, 1, [], "2024-03-01T10:05:00.000000Z", cancelled=True),
                annotation(4, 2, t2, "2024-03-01T10:06:00.000000Z"),
            ],
            "file_upload": "c1b2-tasks.json",
            "drafts": [],
            "predictions": [],
            "data": {"text": S2},
            "meta": {},
            "created_at": "2024-03-01T09:00:00.000000Z",
            "updated_at": "2024-03-01T10:06:00.000000Z",
            "inner_id": 2,
            "total_annotations": 1,
            "cancelled_annotations": 1,
            "total_predictions": 0,
            "comment_count": 0,
            "unresolved_comment_count": 0,
            "last_comment_updated_at": None,
            "project": 3,
            "updated_by": 2,
            "comment_authors": [],
        },
        {
            "id": 3,
            "annotations": [],
            "file_upload": "c1b2-tasks.json",
            "drafts": [],
            "predictions": [],
            "data": {"text": S3},
            "meta": {},
            "created_at": "2024-03-01T09:00:00.000000Z",
            "updated_at": "2024-03-01T09:00:00.000000Z",
            "inner_id": 3,
            "total_annotations": 0,
            "cancelled_annotations": 0,
            "total_predictions": 0,
            "comment_count": 0,
            "unresolved_comment_count": 0,
            "last_comment_updated_at": None,
            "project": 3,
            "updated_by": None,
            "comment_authors": [],
        },
    ]
    (HERE / "label_studio.json").write_text(json.dumps(tasks, ensure_ascii=False, indent=2), encoding="utf-8")
    bad = json.loads(json.dumps(tasks[:1]))
    bad[0]["annotations"][0]["result"][1]["value"]["start"] += 1
    (HERE / "label_studio_misaligned.json").write_text(json.dumps(bad, ensure_ascii=False, indent=2), encoding="utf-8")

    def minimal(task_id: int, text: str, regions: list[dict], who: str, aid: int, when: str) -> dict:
        record = {"text": text, "id": task_id}
        if regions:
            record["label"] = [r["value"] for r in regions]
        return record | {
            "annotator": who,
            "annotation_id": aid,
            "created_at": when,
            "updated_at": when,
            "lead_time": 12.5,
        }

    records = [
        minimal(1, S1, t1, "ann@example.com", 1, "2024-03-01T10:00:00.000000Z"),
        minimal(1, S1, t1_late, "bob@example.com", 2, "2024-03-02T09:00:00.000000Z"),
        minimal(2, S3, [region("d1", S3, *at(S3, "李雷"), "PER")], "bob@example.com", 4, "2024-03-01T10:06:00Z"),
        minimal(4, "今天天气不错。", [], "ann@example.com", 5, "2024-03-01T10:07:00.000000Z"),
    ]
    (HERE / "label_studio_min.json").write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")


def cmeee() -> None:
    text = "患者出现急性胰腺炎，予以奥美拉唑治疗。"
    ents = [("急性胰腺炎", "dis"), ("胰腺", "bod"), ("奥美拉唑", "dru")]
    records = [
        {
            "text": text,
            "entities": [
                {"start_idx": at(text, e)[0], "end_idx": at(text, e)[1] - 1, "type": t, "entity": e} for e, t in ents
            ],
        },
        {"text": "小儿咳嗽三天。", "entities": [{"start_idx": 2, "end_idx": 3, "type": "sym", "entity": "咳嗽"}]},
    ]
    (HERE / "cmeee.json").write_text(json.dumps(records, ensure_ascii=False, indent=4), encoding="utf-8")


def brat() -> None:
    text = "张小明在北京大学读书。\n他的导师是李雷和韩梅梅。\n"
    lines = [
        f"T1\tPER {at(text, '张小明')[0]} {at(text, '张小明')[1]}\t张小明",
        f"T2\tORG {at(text, '北京大学')[0]} {at(text, '北京大学')[1]}\t北京大学",
        f"T3\tLOC {at(text, '北京')[0]} {at(text, '北京')[1]}\t北京",
        "T4\tPER {} {};{} {}\t李雷 韩梅梅".format(*at(text, "李雷"), *at(text, "韩梅梅")),
        "R1\tStudy Arg1:T1 Arg2:T2",
        "A1\tNegated T3",
        "#1\tAnnotatorNotes T1\t学生",
        f"T5\tPER {at(text, '韩梅梅')[0]} {at(text, '韩梅梅')[1]}\t韩梅梅",
    ]
    (HERE / "brat" / "doc1.txt").write_text(text, encoding="utf-8")
    (HERE / "brat" / "doc1.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (HERE / "brat" / "doc2.txt").write_text(S3, encoding="utf-8")
    (HERE / "brat" / "doc2.ann").write_text(
        f"T1\tLOC {at(S3, '上海')[0]} {at(S3, '上海')[1]}\t上海\n", encoding="utf-8"
    )


if __name__ == "__main__":
    doccano()
    label_studio()
    cmeee()
    brat()
