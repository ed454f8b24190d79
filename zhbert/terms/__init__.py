"""Term discovery: the words of a corpus that jieba's dictionary lacks, found from n-gram statistics (cohesion,
branching entropy, novelty) and written as a user dictionary for the segmenters of ``zhbert.text``.

``discover`` judges and ranks the candidates; ``ngrams`` counts a large corpus's n-grams in bounded memory.
"""

from __future__ import annotations

from .discover import Term, discover_terms, function_characters, known_words, write_user_dict

__all__ = ["Term", "discover_terms", "function_characters", "known_words", "write_user_dict"]
