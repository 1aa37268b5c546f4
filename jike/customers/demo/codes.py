"""Identifiers that are valid and unique by construction: credit codes and mobile numbers."""

from __future__ import annotations

from stdnum.cn import uscc

# Characters GB 32100-2015 allows after the region part (no I, O, S, V, Z).
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# (registration authority, institution type) per kind of organisation.
KIND_PREFIX = {
    "organ": "11",  # 机构编制: government body
    "institution": "12",  # 机构编制: public institution (schools, hospitals)
    "social": "51",  # 民政: social group
    "enterprise": "91",  # 市场监管: enterprise
    "coop": "93",  # 市场监管: farmers' cooperative
}


def _org_check(body8: str) -> str:
    """Check character of a GB 11714 organisation code (the 9th character)."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def org_code(n: int, modern: bool) -> str:
    """A unique 9-character organisation code for counter n: post-2015 "MA..." codes or old numeric ones."""
    if modern:
        chars = []
        for _ in range(6):
            n, r = divmod(n, len(_ALPHABET))
            chars.append(_ALPHABET[r])
        body = "MA" + "".join(reversed(chars))
    else:
        # 7919 is coprime to 10**8, so n -> body is a bijection: distinct counters, distinct codes.
        body = f"{(n * 7919 + 10000000) % 10**8:08d}"
    return body + _org_check(body)


def credit_code(kind: str, region: str, n: int) -> str:
    """18-character unified social credit code for the n-th organisation of a region (6 digits)."""
    modern = kind in ("enterprise", "coop") and n % 3 != 0
    body = KIND_PREFIX[kind] + region + org_code(n, modern)
    return body + uscc.calc_check_digit(body)


# China Mobile's number blocks; numbers are spread over them so lists do not look sequential.
_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158",
    "159", "172", "178", "182", "183", "184", "187", "188", "195", "197", "198",
)  # fmt: skip
_STRIDE = 48271  # coprime to 10**8: a bijection within each prefix block


def msisdn(i: int) -> str:
    """The i-th demo mobile number; distinct i give distinct numbers (up to 2.3e9)."""
    block, slot = divmod(i, len(_PREFIXES))
    return _PREFIXES[slot] + f"{(block * _STRIDE + 20250101) % 10**8:08d}"
