"""Check characters of credit codes (GB 32100-2015) and resident identity numbers (GB 11643-1999).

The valid codes come from two independent sources: the reference algorithm written out again
below (not imported from the module under test) and codes printed on real, published licences.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from award.workflow.errors import InvalidInput
from award.workflow.registers.identity import (
    birth_date,
    mask_resident_id,
    validate_resident_id,
    validate_uscc,
)

TODAY = date(2026, 5, 1)

# --- reference algorithms, written from the standards --------------------------------------------

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def reference_uscc_check(first17: str) -> str:
    weights = [3**i % 31 for i in range(17)]
    assert weights == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, weights))
    return ALPHABET[(31 - total % 31) % 31]


def reference_id_check(first17: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    assert weights == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


# --- unified social credit code -----------------------------------------------------------------

# Printed on published business licences (and verified by hand below for Tencent).
PUBLISHED_USCC = [
    pytest.param("914403001922038216", id="huawei_technologies"),
    pytest.param("91440300708461136T", id="tencent_computer_systems"),
    pytest.param("91110000802100433B", id="baidu_online"),
    pytest.param("91110108551385082Q", id="xiaomi_technology"),
    pytest.param("91330100716105852F", id="alibaba_china"),
]


@pytest.mark.parametrize("code", PUBLISHED_USCC)
def test_published_uscc_is_valid(code):
    assert validate_uscc(code) == code
    assert reference_uscc_check(code[:17]) == code[17]


def test_tencent_check_character_by_hand():
    # 9 1 4 4 0 3 0 0 7 0 8 4 6 1 1 3 6 times 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    products = [9, 3, 36, 108, 0, 78, 0, 0, 140, 0, 200, 52, 48, 24, 10, 90, 168]
    assert sum(products) == 966 and 966 % 31 == 5
    assert ALPHABET[31 - 5] == "T"
    assert validate_uscc("91440300708461136T") == "91440300708461136T"


@pytest.mark.parametrize(
    "first17",
    [
        pytest.param("91310000MA1FL1GF9", id="shanghai_ma_series"),
        pytest.param("91310115MA1K3YJ2X", id="pudong_ma_series"),
        pytest.param("N2310115MA1K3YJ2X", id="letter_authority_rural_collective"),
        pytest.param("Y1ABCDEFMA1K3YJ2X", id="letters_in_first_eight_are_allowed"),
        pytest.param("00000000000000000", id="all_zero"),
    ],
)
def test_computed_uscc_is_valid(first17):
    code = first17 + reference_uscc_check(first17)
    assert validate_uscc(code) == code


def test_uscc_is_normalised():
    assert validate_uscc("  91440300708461136t \n") == "91440300708461136T"
    assert validate_uscc("９１４４０３００７０８４６１１３６Ｔ") == "91440300708461136T"  # full-width


def test_uscc_wrong_check_character():
    with pytest.raises(InvalidInput) as caught:
        validate_uscc("91440300708461136U")
    assert caught.match("校验位（第 18 位）应为 T，实际为 U")
    assert caught.match("请按营业执照逐位核对")


@pytest.mark.parametrize(
    "code,length",
    [pytest.param("91440300708461136", 17, id="short"), pytest.param("91440300708461136TT", 19, id="long")],
)
def test_uscc_bad_length(code, length):
    with pytest.raises(InvalidInput, match=f"应为 18 位，收到 {length} 位"):
        validate_uscc(code)


@pytest.mark.parametrize(
    "code,position,char,hint",
    [
        pytest.param("9144030070846II36T", 14, "I", "是否应为 1", id="letter_I"),
        pytest.param("914403007084611O6T", 16, "O", "是否应为 0", id="letter_O"),
        pytest.param("S1440300708461136T", 1, "S", "是否应为 5", id="letter_S"),
        pytest.param("9144030070846113-T", 17, "-", "请按营业执照核对", id="punctuation"),
    ],
)
def test_uscc_forbidden_character(code, position, char, hint):
    with pytest.raises(InvalidInput) as caught:
        validate_uscc(code)
    assert caught.match(f"第 {position} 位的字符 '{char}' 不允许使用")
    assert hint in str(caught.value)


# --- resident identity number -------------------------------------------------------------------


@pytest.mark.parametrize(
    "number,born",
    [
        pytest.param("11010519491231002X", date(1949, 12, 31), id="gb11643_example_x"),
        pytest.param("440524188001010014", date(1880, 1, 1), id="gb11643_example_digit"),
    ],
)
def test_standard_examples_are_valid(number, born):
    assert validate_resident_id(number, today=TODAY) == number
    assert reference_id_check(number[:17]) == number[17]
    assert birth_date(number) == born


@pytest.mark.parametrize(
    "first17",
    [
        pytest.param("31010120000229123", id="leap_day_2000"),
        pytest.param("65010219991231001", id="new_year_eve"),
        pytest.param("31010120260501123", id="born_today"),
    ],
)
def test_computed_resident_id_is_valid(first17):
    number = first17 + reference_id_check(first17)
    assert validate_resident_id(number, today=TODAY) == number


def test_lowercase_x_is_accepted_and_normalised():
    assert validate_resident_id(" 11010519491231002x ", today=TODAY) == "11010519491231002X"


def test_resident_id_wrong_check_character():
    with pytest.raises(InvalidInput) as caught:
        validate_resident_id("110105194912310021", today=TODAY)
    assert caught.match("校验码（第 18 位）应为 X，实际为 1")
    assert "110105********0021" in str(caught.value)
    assert "19491231" not in str(caught.value)


@pytest.mark.parametrize(
    "first17",
    [
        pytest.param("11010519490230002", id="february_30"),
        pytest.param("11010519491301002", id="month_13"),
        pytest.param("11010519490229002", id="feb_29_not_leap"),
    ],
)
def test_impossible_birth_date(first17):
    number = first17 + reference_id_check(first17)  # right check character, wrong date
    with pytest.raises(InvalidInput, match="出生日期不是有效日期") as caught:
        validate_resident_id(number, today=TODAY)
    assert first17[6:14] not in str(caught.value)
    with pytest.raises(InvalidInput, match="出生日期不是有效日期"):
        birth_date(number)


def test_birth_date_in_the_future():
    first17 = "31010120260502123"
    number = first17 + reference_id_check(first17)
    with pytest.raises(InvalidInput, match="出生日期晚于今天"):
        validate_resident_id(number, today=TODAY)
    assert validate_resident_id(number, today=date(2026, 5, 2)) == number


def test_today_is_required():
    with pytest.raises(TypeError):
        validate_resident_id("11010519491231002X")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "number,message",
    [
        pytest.param("11010519491231002", "应为 18 位，收到 17 位", id="short"),
        pytest.param("110105491231002", "15 位的旧号码请换成 18 位新号码", id="old_15_digit"),
        pytest.param("1101051949123100AX", "第 17 位应为数字，实际为 'A'", id="letter_inside"),
        pytest.param("11010519491231002Y", "第 18 位应为数字或 X，实际为 'Y'", id="bad_last"),
    ],
)
def test_resident_id_bad_shape(number, message):
    with pytest.raises(InvalidInput, match=message):
        validate_resident_id(number, today=TODAY)


def test_mask_keeps_six_and_four():
    assert mask_resident_id("31010120000229123X") == "310101********123X"
    assert mask_resident_id("11010519491231002x") == "110105********002X"
    assert mask_resident_id("12345") == "*****"


def test_no_raw_number_in_logs(caplog):
    caplog.set_level(logging.DEBUG, logger="award.workflow.registers.identity")
    with pytest.raises(InvalidInput):
        validate_resident_id("110105194912310021", today=TODAY)
    assert "110105194912310021" not in caplog.text
