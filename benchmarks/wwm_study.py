"""Does whole-word masking pay? Continued pretraining of one base model on a domain corpus once per masking
scheme, with the same token budget and seed, then fine-tuning each result on the domain's tasks with several
seeds, and a report with the figures, as they come out.

Schemes: ``none`` (the base itself), ``char`` (token-level masking), ``jieba`` (jieba whole words),
``jieba_dict`` (jieba with a domain dictionary), ``ltp`` (LTP whole words, a legacy perceptron trained here on the
SIGHAN 2005 gold segmentations), ``ngram`` (MacBERT-style runs of 1-4 jieba words). Domains: legal (the branch of
law of a paragraph, split by law) and reviews (ChnSentiCorp and waimai_10k sentiment).

    python benchmarks/wwm_study.py --quick          # about 8 minutes on 2 CPU cores; docs/wwm_study_quick.md
    python benchmarks/wwm_study.py                  # the full study (FULL below)
    python benchmarks/wwm_study.py --base DIR --seeds 0,1,2,3,4 --out runs/wwm-study-bert   # e.g. on a GPU
    torchrun --nproc_per_node 4 benchmarks/wwm_study.py --base DIR    # DDP; only rank 0 writes files

Every stage (data, LTP model, baselines, each pretraining run, each fine-tune) keeps its result in
``OUT/stages/*.json`` (or ``--stages DIR``), written once the stage is complete: an interrupted study continues
where it stopped, and deleting one file reruns that stage alone (a pretraining run, with its fine-tunes). Each
scheme's fine-tunes follow its pretraining run, so a study whose results are kept apart from ``OUT`` (``--stages``,
e.g. under version control) and continued in a new ``OUT`` rebuilds at most the one model whose fine-tunes are
still due. The report is rewritten from those files at the end of every run.

The study itself is the package ``wwm_pretrain.study``; this is its command line.
"""

from __future__ import annotations

import sys

from wwm_pretrain.study.cli import main

if __name__ == "__main__":
    sys.exit(main())
