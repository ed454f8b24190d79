"""zhbert.text.files: the one hash of files that the release manifest and the study's records use."""

from __future__ import annotations

import hashlib

from zhbert.text.files import sha256_of_files


def test_sha256_of_files_hashes_the_bytes_in_order(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 5000)  # 1.2 MiB: more than one block
    small = tmp_path / "small.txt"
    small.write_bytes("高勇：男，中国国籍。\n".encode())
    both = big.read_bytes() + small.read_bytes()
    assert sha256_of_files([big, small]) == hashlib.sha256(both).hexdigest()
    assert sha256_of_files([small, big]) != sha256_of_files([big, small])
    assert sha256_of_files([str(small)]) == hashlib.sha256(small.read_bytes()).hexdigest()
    assert sha256_of_files([]) == hashlib.sha256(b"").hexdigest()
