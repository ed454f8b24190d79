"""Two reports of ``benchmarks/wwm_study.py`` side by side: each downstream test score of the second run against
the first, and whether the difference of the means lies within the first run's standard deviation
(``wwm_pretrain.study.rerun``).

    python benchmarks/wwm_study_rerun.py FIRST.md SECOND.md
"""

from __future__ import annotations

from wwm_pretrain.study.rerun import main

if __name__ == "__main__":
    main()
