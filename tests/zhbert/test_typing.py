"""What a user's type checker sees of zhbert: the classes themselves behind ``from zhbert import ...`` (which
``__getattr__`` imports lazily at run time), not ``Any``."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from tests.conftest import REPO

# The libraries beneath zhbert are not checked again: their types become Any, zhbert's own stay exact (5 s, not 60).
THIRD_PARTY = "torch,transformers,tokenizers,datasets,numpy,jieba,ltp,safetensors,accelerate,huggingface_hub"


def test_mypy_sees_the_class_behind_a_top_level_name(tmp_path):
    script = tmp_path / "user.py"
    script.write_text(
        "from zhbert import EntityTagger, discover_terms\nreveal_type(EntityTagger)\nreveal_type(discover_terms)\n",
        encoding="utf-8",
    )
    skip = ",".join(f"{name}.*" for name in THIRD_PARTY.split(","))
    (tmp_path / "mypy.ini").write_text(f"[mypy]\n[mypy-{skip}]\nfollow_imports = skip\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent", "--config-file=mypy.ini",
         "user.py"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "MYPYPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    revealed = [line.split("Revealed type is ", 1)[1] for line in result.stdout.splitlines() if "Revealed" in line]
    assert len(revealed) == 2, result.stdout
    assert revealed[0].startswith('"def (model: ') and revealed[0].endswith('-> zhbert.api.tagger.EntityTagger"')
    assert revealed[1].startswith('"def (texts: typing.Iterable[str]')
    assert revealed[1].endswith('-> list[zhbert.terms.discover.Term]"')


def test_every_top_level_name_is_seen_by_type_checkers():
    tree = ast.parse((REPO / "zhbert" / "__init__.py").read_text(encoding="utf-8"))
    (guard,) = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    typed = {}
    for node in guard.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1
        typed.update({alias.name: f"zhbert.{node.module}" for alias in node.names})
    (exports,) = [
        node.value for node in tree.body if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "_EXPORTS"
    ]
    assert typed == ast.literal_eval(exports)
    (names,) = [
        node.value for node in tree.body if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__"
    ]
    assert sorted(ast.literal_eval(names)) == sorted([*typed, "__version__"])  # literal, so mypy --strict reads it
