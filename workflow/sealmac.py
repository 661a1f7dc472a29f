"""The arithmetic of seals, free of any database library: the HMAC, the key file, the roster's payload.

`seal.py` seals and checks through the ORM; `plainread.py` checks the roster's seal on the read path
that runs without it. Both compute through these functions, so a seal means the same on either path.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from .canonical import canonical_json
from .errors import DataError

__all__ = ["KEY_NAME", "mac", "read_key", "roster_member", "roster_payload"]

KEY_NAME = "history.key"
"""The key's file name in the office data folder's `secrets/`."""


def mac(key: bytes, subject: str, payload: Any) -> str:
    """HMAC-SHA256 of a subject and its payload in canonical JSON."""
    raw = canonical_json({"subject": subject, "payload": payload})
    return hmac.digest(key, raw.encode(), "sha256").hex()  # one call into OpenSSL: the same digest as hmac.new


def read_key(path: Path) -> bytes:
    """The key of an existing key file.

    Raises:
        DataError: the file cannot be read, is not hexadecimal, or is too short (exit 6).
    """
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        raise DataError(f"历史封印密钥 {path} 无法读取或已损坏：请从安全备份恢复") from None
    if len(key) < 16:
        raise DataError(f"历史封印密钥 {path} 太短：请从安全备份恢复")
    return key


def roster_member(*, name: str, roles: list[str], email: str | None, login: str | None, phone: str | None,
                  disabled: bool) -> dict[str, Any]:
    """One member as the roster's seal covers it: grants, login, contact data and status."""
    return {"name": name, "roles": list(roles), "email": email, "login": login, "phone": phone,
            "disabled": bool(disabled)}


def roster_payload(head: str | None, seq: int, members: list[dict[str, Any]]) -> dict[str, Any]:
    """What the roster's seal covers: its change chain's head and every member (by name)."""
    return {"head": head, "seq": seq, "members": members}
