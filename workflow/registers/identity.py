"""Check characters of the two identity numbers the office handles.

- Unified social credit code (统一社会信用代码, GB 32100-2015) of an applying organisation.
- Resident identity number (公民身份号码, GB 11643-1999) of a person (an applicant, an expert).

These are pure functions: no clock (the caller passes `today`), no I/O. They check exactly what
the standards define and nothing more: python-stdnum also checks region codes and rejects letters in
the first 8 characters of a credit code, which refuses codes that real licences carry.

A resident identity number is personal data: it never appears in a message or a log line except
through `mask_resident_id`.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from ..errors import InvalidInput
from ..logs import logger

__all__ = [
    "USCC_ALPHABET",
    "birth_date",
    "mask_resident_id",
    "resident_id_check_character",
    "uscc_check_character",
    "validate_resident_id",
    "validate_uscc",
]


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015: digits and capitals without I, O, Z, S, V."""

_USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_LOOKALIKES = {"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"}

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"


def _normalise(text: str) -> str:
    """Strip, fold full-width characters (pasted from Word or a PDF) to ASCII, and upper-case."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def uscc_check_character(first17: str) -> str:
    """The check character of the first 17 characters of a credit code (no validation)."""
    total = sum(_USCC_VALUES[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def resident_id_check_character(first17: str) -> str:
    """The check character of the first 17 digits of a resident identity number (no validation)."""
    total = sum(int(char) * weight for char, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_uscc(code: str) -> str:
    """Check a unified social credit code and return it normalised.

    Only the length, the alphabet and the check character (GB 32100-2015) are checked, so a code
    that a real licence carries is never refused.

    Args:
        code: the code as typed; spaces around it, lower case and full-width characters are accepted.

    Returns:
        The 18-character code in upper case.

    Raises:
        InvalidInput: naming what is wrong (length, a forbidden character and its position, or the
            expected check character) and how to fix it.
    """
    normal = _normalise(code)
    if len(normal) != 18:
        raise InvalidInput(
            f"统一社会信用代码应为 18 位，收到 {len(normal)} 位：{normal!r}；请按营业执照上的代码完整填写"
        )
    for position, char in enumerate(normal, start=1):
        if char not in _USCC_VALUES:
            hint = f"，是否应为 {_USCC_LOOKALIKES[char]}" if char in _USCC_LOOKALIKES else ""
            raise InvalidInput(
                f"统一社会信用代码 {normal} 第 {position} 位的字符 {char!r} 不允许使用"
                f"（代码只含数字和除 I、O、Z、S、V 以外的大写字母）{hint}；请按营业执照核对"
            )
    expected = uscc_check_character(normal[:17])
    if normal[17] != expected:
        raise InvalidInput(
            f"统一社会信用代码 {normal} 的校验位（第 18 位）应为 {expected}，实际为 {normal[17]}；"
            "代码中可能有字符抄错，请按营业执照逐位核对"
        )
    return normal


def _birth_date(normal: str) -> date:
    """Read YYYYMMDD from positions 7-14; the message never repeats the digits (they are personal)."""
    try:
        return date(int(normal[6:10]), int(normal[10:12]), int(normal[12:14]))
    except ValueError:
        raise InvalidInput(
            f"公民身份号码 {mask_resident_id(normal)} 第 7-14 位的出生日期不是有效日期；请按身份证核对"
        ) from None


def _check_shape(normal: str) -> None:
    """Length 18, digits in positions 1-17, a digit or X in position 18."""
    if len(normal) != 18:
        old = "（15 位的旧号码请换成 18 位新号码）" if len(normal) == 15 else ""
        raise InvalidInput(f"公民身份号码应为 18 位，收到 {len(normal)} 位{old}；请按身份证完整填写")
    for position, char in enumerate(normal[:17], start=1):
        if not ("0" <= char <= "9"):
            raise InvalidInput(f"公民身份号码第 {position} 位应为数字，实际为 {char!r}；请按身份证核对")
    if not ("0" <= normal[17] <= "9" or normal[17] == "X"):
        raise InvalidInput(f"公民身份号码第 18 位应为数字或 X，实际为 {normal[17]!r}；请按身份证核对")


def validate_resident_id(number: str, *, today: date) -> str:
    """Check a resident identity number and return it normalised.

    Checks the length, the digits, the check character (GB 11643-1999) and the birth date (a real
    date, not after `today`). Region codes are not checked: codes change, and numbers issued under a
    retired code stay valid.

    Args:
        number: the number as typed; surrounding spaces, a lower-case x and full-width
            characters are accepted.
        today: the business date (from the engine's clock), so a frozen `--now` gives the same answer.

    Returns:
        The 18-character number with an upper-case X.

    Raises:
        InvalidInput: naming what is wrong; the number appears only masked.
    """
    normal = _normalise(number)
    _check_shape(normal)
    born = _birth_date(normal)
    if born > today:
        raise InvalidInput(
            f"公民身份号码 {mask_resident_id(normal)} 第 7-14 位的出生日期晚于今天；请按身份证核对"
        )
    expected = resident_id_check_character(normal[:17])
    if normal[17] != expected:
        # the logger asked for here: `show` imports this module to mask a number and logs nothing
        logger(__name__).debug("resident id %s: check character mismatch", mask_resident_id(normal))
        raise InvalidInput(
            f"公民身份号码 {mask_resident_id(normal)} 的校验码（第 18 位）"
            f"应为 {expected}，实际为 {normal[17]}；号码中可能有数字抄错，请按身份证逐位核对"
        )
    return normal


def birth_date(number: str) -> date:
    """The birth date written in a resident identity number (positions 7-14).

    Checks the shape and the date, not the check character: call `validate_resident_id` first.

    Raises:
        InvalidInput: when the number is not 18 characters or the date is impossible.
    """
    normal = _normalise(number)
    _check_shape(normal)
    return _birth_date(normal)


def mask_resident_id(number: str) -> str:
    """Hide a resident identity number for display and logs: `310101********123X`.

    Keeps the region (first 6) and the last 4 characters, 8 stars in between. Anything that is not
    18 characters long is fully starred, so a malformed number never leaks either.
    """
    normal = _normalise(number)
    if len(normal) != 18:
        return "*" * len(normal)
    return f"{normal[:6]}{'*' * 8}{normal[14:]}"
