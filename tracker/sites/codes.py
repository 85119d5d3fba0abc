"""Site codes: 12 characters of Crockford base32 (60 random bits), printed in groups of four."""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 12
_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0"})
_VALID = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(typed: str) -> str | None:
    """The canonical code for what someone typed or scanned ('7k3m-9qxa-b2cd'), or None if malformed."""
    code = re.sub(r"[\s-]", "", typed or "").upper().translate(_TYPED)
    return code if _VALID.match(code) else None


def grouped(code: str) -> str:
    """'7K3M9QXAB2CD' → '7K3M-9QXA-B2CD' for printing under the QR."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
