"""Quantities stated in a text: comparisons ('T<1', 'k ≥ 2'), byte sizes ('10GB', '43 ГБ') and
version-like terms ('FP16', 'H100', 'GPT-4'). Pure, no heavy imports."""

from __future__ import annotations

import re

_CMP = re.compile(r"(?<![\w])([A-Za-zА-Яа-я_][\w]{0,12})\s*(<=|>=|≤|≥|<|>)\s*(\d+(?:[.,]\d+)?)(?![\d.,]*\d)")
_OPS = {"<": "<", "<=": "<", "≤": "<", ">": ">", ">=": ">", "≥": ">"}
_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(кб|мб|гб|тб|kb|mb|gb|tb|kib|mib|gib|tib)(?![a-zа-я])", re.IGNORECASE)
_SCALE = {"к": 1e3, "k": 1e3, "м": 1e6, "m": 1e6, "г": 1e9, "g": 1e9, "т": 1e12, "t": 1e12}
_VARIANT = re.compile(r"(?<![\w\-])([A-Za-z]{1,5})-?(\d{1,4})(?!\w|\.\d)")
SIZE_RATIO = 30.0   # two byte sizes further apart than this are different claims ('10MB' vs '10GB')


def comparisons(text: str) -> set[tuple[str, str, str]]:
    """'При T<1 и k ≥ 2' -> {('t', '<', '1'), ('k', '>', '2')}"""
    return {(v.lower(), _OPS[op], n.replace(",", ".")) for v, op, n in _CMP.findall(text)}


def flipped_comparison(answer: str, reference: str) -> bool:
    """The same variable and bound with the opposite direction: 'T<1' vs 'T>1' -> True."""
    ref = comparisons(reference)
    return any((v, ">" if op == "<" else "<", n) in ref and (v, op, n) not in ref
               for v, op, n in comparisons(answer))


def sizes(text: str) -> list[float]:
    """Byte sizes: 'около 10GB, на 128K — 100 ГБ, 10.7 МБ' -> [1e10, 1e11, 1.07e7]."""
    return [float(n.replace(",", ".")) * _SCALE[u[0].lower()] for n, u in _SIZE.findall(text)]


def size_mismatch(answer: str, reference: str) -> bool:
    """A byte size in the answer that is more than SIZE_RATIO away from every size in the reference
    ('10MB' where the reference says '10GB'); False when either side states none."""
    ref = sizes(reference)
    if not ref:
        return False
    return any(min(max(a / r, r / a) for r in ref if r > 0) > SIZE_RATIO for a in sizes(answer) if a > 0)


def variants(text: str) -> set[str]:
    """Version-like terms (letters + digits): 'FP16/BF16 на H100 и GPT-4' -> {'fp16', 'bf16', 'h100', 'gpt4'}."""
    return {(a + d).lower() for a, d in _VARIANT.findall(text)}


def shape(variant: str) -> tuple[int, int]:
    """'fp16' -> (2, 2): letters and digits count; two variants of one shape are rivals (FP16 / BF16)."""
    letters = len(re.sub(r"\d", "", variant))
    return letters, len(variant) - letters


def swapped_variant(answer: str, reference: str) -> bool:
    """The answer names a version the reference clause does not (FP32) in place of one of the same
    shape that it does (FP16), sharing none of that shape: 'forward в FP32' vs 'FP16 для forward' ->
    True; 'FP16 или BF16' vs 'FP16 ... FP32' -> False."""
    a, r = variants(answer), variants(reference)
    missing = {shape(v) for v in r - a} - {shape(v) for v in a & r}
    return any(shape(v) in missing for v in a - r)
