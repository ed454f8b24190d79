"""The report of the study: Markdown tables from the stages' results, with the plots of ``figures`` beside it."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..stages import machine_summary
from .figures import TASK_TITLES, mean_std, plot_downstream, plot_pretraining, scores

__all__ = ["verdict", "write_report"]


def _stage_machines(results: dict[str, Any]) -> list[str]:
    """One line per machine the stages ran on, with how many and when (a study continued across sessions)."""
    by: dict[str, list[str]] = {}
    for r in results.values():
        by.setdefault(r.get("machine", "not recorded"), []).append(r.get("finished", ""))
    if len(by) < 2 and "not recorded" in by:
        return []
    lines = []
    for machine, when in sorted(by.items(), key=lambda item: -len(item[1])):
        dates = sorted(w[:10] for w in when if w)
        span = f" ({dates[0]} to {dates[-1]})" if dates and dates[0] != dates[-1] else f" ({dates[0]})" if dates else ""
        where = "with no machine recorded" if machine == "not recorded" else f"on {machine}"
        lines.append(f"  - {len(when)} stages{span} {where}")
    return ["- Where the stages ran:", *lines] if lines else []


def _fmt(pair: tuple[float, float]) -> str:
    return "–" if math.isnan(pair[0]) else f"{pair[0]:.4f} ± {pair[1]:.4f}"


def _last(curve: list[dict[str, Any]], key: str) -> float | None:
    values = [e[key] for e in curve if key in e]
    return values[-1] if values else None


def _compare(
    results: dict[str, Any], task: str, key: str, seeds: Sequence[int], a: str, b: str
) -> tuple[str, str] | None:
    """``a`` against ``b``: the outcome ("beats", "trails" or "ties with") and the sentence that says it, with the
    difference of the means and the larger std."""
    (ma, sa), (mb, sb) = (mean_std(scores(results, task, s, seeds, key)) for s in (a, b))
    if math.isnan(ma) or math.isnan(mb):
        return None
    diff, noise = ma - mb, max(sa, sb)
    word = "beats" if diff > noise else ("trails" if -diff > noise else "ties with")
    return word, f"{a} {word} {b} ({diff:+.4f}; larger std {noise:.4f})"


def verdict(results: dict[str, Any], tasks: Sequence[str], schemes: Sequence[str], seeds: Sequence[int]) -> list[str]:
    lines, wins, losses, compared = [], 0, 0, 0
    wwm = [s for s in schemes if s not in ("none", "char")]
    for task in tasks:
        for key in ["test_accuracy"] + (["test_macro_f1"] if task == "legal_branch" else []):
            found = [c for s in wwm if "char" in schemes and (c := _compare(results, task, key, seeds, s, "char"))]
            wins += sum(word == "beats" for word, _ in found)
            losses += sum(word == "trails" for word, _ in found)
            compared += len(found)
            if "none" in schemes and (c := _compare(results, task, key, seeds, "char", "none")):
                found.append(c)
            if found:
                said = "; ".join(sentence for _, sentence in found)
                lines.append(f"- **{TASK_TITLES.get(task, task)}, {key.removeprefix('test_')}**: {said}.")
    if compared:
        # Pays only where it wins more comparisons than it loses: a win among as many losses is noise.
        summary = (
            f"Whole-word schemes beat token-level masking in {wins} of {compared} comparisons, trail it in {losses} "
            f"and tie in {compared - wins - losses}"
            + (": at this scale whole-word masking does not pay." if wins <= losses else ".")
        )
        lines = [summary, "", *lines]
    return lines


def write_report(
    path: Path,
    results: dict[str, Any],
    *,
    cfg: dict[str, Any],
    schemes: Sequence[str],
    domains: Sequence[str],
    seeds: Sequence[int],
    tasks: Mapping[str, Sequence[str]],
    base: str,
    command: str,
    seconds: float,
    ran: Sequence[str],
    missing: Sequence[str] = (),
) -> Path:
    """Write the Markdown report at ``path`` and its plots beside it (``<stem>_pretraining.png``,
    ``<stem>_downstream.png``); returns ``path``."""
    from zhbert.text.files import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    all_tasks = [t for d in domains for t in tasks[d]]
    pretrain_png = path.with_name(f"{path.stem}_pretraining.png")
    downstream_png = path.with_name(f"{path.stem}_downstream.png")
    plot_pretraining(pretrain_png, results, domains, [s for s in schemes if s != "none"])
    plot_downstream(downstream_png, results, all_tasks, schemes, seeds)
    stage_seconds = sum(float(r.get("seconds", 0.0)) for r in results.values())
    out: list[str] = [
        "# Does whole-word masking pay?",
        "",
        f"Written by `benchmarks/wwm_study.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, preset "
        f"**{cfg['name']}**. Every figure below comes from this run's stage files; nothing is edited by hand.",
        "",
        f"- Command: `{command or 'run_study(...)'}`",
        f"- Machine: {machine_summary()}",
        *_stage_machines(results),
        f"- Load average when the report was written (other work shares the cores): "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        f"- Wall time: {seconds / 60:.1f} min in this invocation ({len(ran)} stages ran, the others were cached); "
        f"{stage_seconds / 60:.1f} min summed over all stages when they ran.",
        f"- Base: `{base}`; fine-tuning seeds {', '.join(map(str, seeds))}; pretraining seed 0 for every scheme.",
        *(
            [
                "",
                f"**Incomplete: {len(missing)} stages have no result yet** ({', '.join(missing[:6])}"
                f"{', ...' if len(missing) > 6 else ''}); the tables show the stages done so far.",
            ]
            if missing
            else []
        ),
        "",
        "## Settings",
        "",
        "| setting | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in cfg.items()],
        "",
        "Token budget per pretraining run: "
        f"{cfg['pretrain_steps']} steps x {cfg['batch_size']} blocks x {cfg['max_seq_length']} tokens (less padding).",
        "",
    ]
    out += [
        "## Verdict",
        "",
        "Each whole-word scheme against token-level masking (`char`), and `char` against no continued "
        "pretraining (`none`): test scores, means over the fine-tuning seeds; a difference counts only when it "
        "exceeds the larger of the two standard deviations. Computed from the tables below, not written by hand.",
        "",
    ]
    out += verdict(results, all_tasks, schemes, seeds) or ["- (no `char` runs to compare with)"]
    out += [
        "",
        "## Pretraining",
        "",
        f"![pretraining curves]({pretrain_png.name})",
        "",
        "| domain | scheme | tokens seen | final training loss | held-out loss (own task) | in-run cloze acc. | "
        "cloze acc. (fixed masks) | commonest-char acc. | minutes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for d in domains:
        for s in schemes:
            r = results.get(f"pretrain/{d}/{s}")
            if r is None:
                continue
            m = r.get("metrics", {})
            cloze = r.get("cloze", {})
            loss = _last(r.get("curve", []), "loss")
            cells = [
                d,
                s,
                f"{int(m.get('tokens_seen', 0)):,}",
                "–" if loss is None else f"{loss:.4f}",
                f"{m['eval_loss']:.4f}" if "eval_loss" in m else "–",
                f"{m['eval_cloze_accuracy']:.4f}" if "eval_cloze_accuracy" in m else "–",
                f"{cloze.get('cloze_accuracy', math.nan):.4f}",
                f"{cloze.get('commonest_character_accuracy', math.nan):.4f}",
                f"{r.get('seconds', 0) / 60:.1f}",
            ]
            out.append("| " + " | ".join(cells) + " |")
    out += [
        "",
        "Training and own-task losses are not comparable across schemes (whole words are harder to "
        "predict than single characters). The cloze accuracy with fixed masks is: the same held-out text, the "
        "same 15% of single characters, each replaced by `[MASK]` (`wwm_pretrain.cloze.heldout_cloze`). The "
        "in-run cloze figure packs blocks at each scheme's word boundaries, so its masks differ slightly.",
        "",
    ]
    out += ["## Downstream (test split)", "", f"![downstream scores]({downstream_png.name})", ""]
    header = ["scheme"] + [f"{TASK_TITLES.get(t, t)} acc." for t in all_tasks]
    if "legal_branch" in all_tasks:
        header.insert(all_tasks.index("legal_branch") + 2, "legal macro-F1")
    out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for s in schemes:
        cells = [s]
        for t in all_tasks:
            cells.append(_fmt(mean_std(scores(results, t, s, seeds, "test_accuracy"))))
            if t == "legal_branch":
                cells.append(_fmt(mean_std(scores(results, t, s, seeds, "test_macro_f1"))))
        out.append("| " + " | ".join(cells) + " |")
    cells = ["n-gram baseline"]
    for t in all_tasks:
        b = results.get(f"baseline/{t}", {})
        cells.append(f"{b['accuracy']:.4f}" if "accuracy" in b else "–")
        if t == "legal_branch":
            cells.append(f"{b['macro_f1']:.4f}" if "macro_f1" in b else "–")
    out += ["| " + " | ".join(cells) + " |", ""]
    out += ["Dev accuracy (mean ± std), which picked each run's checkpoint:", ""]
    out += [
        "| scheme | " + " | ".join(TASK_TITLES.get(t, t) for t in all_tasks) + " |",
        "|" + "---|" * (len(all_tasks) + 1),
    ]
    for s in schemes:
        out.append(
            f"| {s} | "
            + " | ".join(_fmt(mean_std(scores(results, t, s, seeds, "eval_accuracy"))) for t in all_tasks)
            + " |"
        )
    out += [
        "",
        "The n-gram baseline: TF-IDF over character unigrams and bigrams, logistic regression with its L2 strength "
        "chosen on dev, trained on the same training examples and scored on the same test examples.",
        "",
    ]
    out += _data_section(results, domains, all_tasks)
    out += ["## Wall time per stage", "", "| stage | minutes |", "|---|---|"]
    groups: dict[str, float] = {}
    for name, r in results.items():
        key = "/".join(name.split("/")[:2]) if name.startswith("finetune/") else name
        groups[key] = groups.get(key, 0.0) + float(r.get("seconds", 0.0))
    out += [f"| {k} | {v / 60:.2f} |" for k, v in groups.items()]
    out += [f"| **all stages** | **{stage_seconds / 60:.1f}** |", ""]
    with atomic_write(path) as handle:
        handle.write("\n".join(out) + "\n")
    return path


def _data_section(results: dict[str, Any], domains: Sequence[str], tasks: Sequence[str]) -> list[str]:
    out = ["## Data", ""]
    legal = results.get("data/legal")
    if legal is not None:
        leak = legal["leakage"]
        out += [
            f"**Legal.** {legal['documents']:,} documents of `law_corpus_zh`, {legal['laws']:,} laws (`law_key` joins "
            f"the dated versions of one law); {legal['joined_by_overlap']} more joins of documents that share at least "
            f"half their 8-grams with another ({legal['groups']:,} groups). The groups are split 80/10/10 per branch "
            "(the top folder of `doc_list.tsv`); groups of laws the shipped base held out of its own pretraining are "
            f"drawn first for test and dev ({legal['test_documents_of_base_heldout_laws']} of the "
            f"{legal['test_documents']} test documents). Merged: "
            + ", ".join(f"{a} into {b}" for a, b in legal["merged_branches"].items())
            + "; dropped (fewer than 10 laws after merging, too few to split by law): "
            + ", ".join(f"{b} ({n} group{'s' if n > 1 else ''})" for b, n in legal["dropped_branches"].items())
            + f". Held-out paragraphs equal to a training paragraph are left out of dev and test "
            f"({legal['heldout_paragraphs_dropped_as_equal_to_train']:,}: boilerplate). The continued-pretraining "
            f"corpus is taken from training-split (and dropped-branch) documents only, {legal['corpus_chars']:,} "
            f"characters; the cloze text from dev documents, {legal['cloze_chars']:,} characters.",
            "",
            "Leakage check, 8-character overlap: for each dev or test document, the largest fraction of its distinct "
            "8-character substrings found in one training document, leaving out the 8-grams that occur in more than "
            "20 documents of the corpus (formula every law repeats). A document at 0.5 or more is *shared across "
            "splits*.",
            "",
            "| held-out documents | shared documents | largest overlap | documents over 0.2 | held-out paragraphs | "
            "equal to a training paragraph | every 8-gram in training |",
            "|---|---|---|---|---|---|---|",
            f"| {leak['heldout_documents']} | **{leak['shared_documents']}** | {leak['max_document_overlap']:.3f} | "
            f"{leak['documents_over_0.2']} | {leak['heldout_paragraphs']:,} | {leak['paragraphs_equal_to_train']:,} | "
            f"{leak['paragraphs_8gram_covered_by_train']:,} |",
            "",
        ]
    reviews = results.get("data/reviews")
    if reviews is not None:
        out += [
            "**Reviews.** ChnSentiCorp and waimai_10k: the recipes' split (`zhbert.data.split_examples`, 10% dev, 10% "
            "test, seed 42, non-empty reviews). Corpus: the training part of online_shopping_10_cats under the same "
            f"split, less {reviews['corpus_dropped_equal_to_task_heldout']:,} reviews equal to a ChnSentiCorp or "
            f"waimai dev/test review: {reviews['corpus_reviews']:,} reviews, {reviews['corpus_chars']:,} characters "
            f"used. Cloze text: its dev part ({reviews['cloze_chars']:,} characters), which no pretraining saw.",
            "",
        ]
    out += ["Class counts (all examples of the split / used in this run):", ""]
    for domain, data in (("legal", legal), ("reviews", reviews)):
        if data is None:
            continue
        counts = data["class_counts"]
        for task, parts in [("legal_branch", counts)] if domain == "legal" else list(counts.items()):
            labels = sorted({label for part in parts.values() for label in part["all"]})
            out += [
                f"*{TASK_TITLES.get(task, task)}*",
                "",
                "| split | " + " | ".join(labels) + " |",
                "|" + "---|" * (len(labels) + 1),
            ]
            for part, c in parts.items():
                out.append(
                    f"| {part} | "
                    + " | ".join(f"{c['all'].get(x, 0):,} / {c['used'].get(x, 0):,}" for x in labels)
                    + " |"
                )
            out.append("")
    ltp = results.get("ltp")
    if ltp is not None:
        out += [
            f"**LTP model.** A legacy perceptron (`ltp_extension.perceptron.CWSTrainer`, {ltp['epochs']} epochs) on "
            f"{ltp['train_lines']:,} lines of the SIGHAN 2005 PKU and MSR gold segmentations (the shared folder holds "
            f"the test gold; the training corpora are not in it), word F1 {ltp['dev_f1']:.3f} on 200 held-out lines.",
            "",
        ]
    return out
