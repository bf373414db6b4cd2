"""Identifier checks: 公民身份号码 (GB 11643) and 统一社会信用代码 (GB 32100).

python-stdnum does the check digits; the policy is ours. Checksums, lengths, characters and birth dates
are errors. A place code unknown to GB/T 2260 (or valid only in other years), and a registering-authority
prefix stdnum does not know, are warnings: real codes like ``Y…`` or IDs issued under since-retired
district codes must still be accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
KNOWN_AUTHORITY_PREFIXES = {
    "11", "12", "13", "19", "21", "29", "31", "32", "33", "34", "35", "39", "41", "49", "51", "52", "53",
    "59", "61", "62", "69", "71", "72", "79", "81", "89", "91", "92", "93", "A1", "A9", "N1", "N2", "N3",
    "N9", "Y1",
}  # fmt: skip


@dataclass(frozen=True)
class IdCheck:
    value: str
    ok: bool
    code: str = ""
    message: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _place_known(code6: str) -> bool:
    from sanbu.core import places

    return places.exists(code6)


def check_uscc(raw: str) -> IdCheck:
    value = (raw or "").strip().upper().replace(" ", "")
    if len(value) != 18:
        return IdCheck(value, False, "uscc.length", f"统一社会信用代码应为 18 位，当前为 {len(value)} 位。")
    bad = [c for c in value if c not in USCC_ALPHABET]
    if bad:
        return IdCheck(
            value, False, "uscc.characters",
            f"统一社会信用代码含有不允许的字符“{''.join(dict.fromkeys(bad))}”（不得使用 I、O、Z、S、V）。",
        )  # fmt: skip
    if uscc.calc_check_digit(value[:-1]) != value[-1]:
        return IdCheck(
            value, False, "uscc.checksum",
            f"统一社会信用代码校验位错误：末位应为“{uscc.calc_check_digit(value[:-1])}”，请核对原证照。",
        )  # fmt: skip
    warnings = []
    try:
        uscc.validate(value)
    except ValidationError:
        warnings.append("该代码的格式不被 python-stdnum 认可（前 8 位应为数字），校验位正确，请核对原证照。")
    if value[:2] not in KNOWN_AUTHORITY_PREFIXES:
        warnings.append(f"登记管理部门代码“{value[:2]}”不常见，请核对。")
    if value[2:8].isdigit() and not _place_known(value[2:8]):
        warnings.append(f"行政区划码 {value[2:8]} 不在 GB/T 2260 中，请核对。")
    return IdCheck(value, True, warnings=tuple(warnings))


def check_citizen_id(raw: str) -> IdCheck:
    value = (raw or "").strip().upper()
    if len(value) != 18:
        return IdCheck(value, False, "id.length", f"公民身份号码应为 18 位，当前为 {len(value)} 位。")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return IdCheck(value, False, "id.characters", "公民身份号码前 17 位应为数字，末位为数字或 X。")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return IdCheck(
            value, False, "id.birth_date", f"公民身份号码中的出生日期 {value[6:14]} 不是有效日期。"
        )
    if birth.year < 1880 or birth > date.today():
        return IdCheck(
            value, False, "id.birth_date", f"公民身份号码中的出生日期 {value[6:14]} 不在合理范围内。"
        )
    expected = ric.calc_check_digit(value)  # stdnum wants the whole number
    if expected != value[17]:
        return IdCheck(value, False, "id.checksum", f"公民身份号码校验位错误：末位应为“{expected}”，请核对。")
    warnings = []
    if not _place_known(value[:6]):
        warnings.append(f"地址码 {value[:6]} 不在 GB/T 2260 中，请核对。")
    return IdCheck(value, True, warnings=tuple(warnings))


def is_valid_uscc(raw: str) -> bool:
    return check_uscc(raw).ok


def is_valid_citizen_id(raw: str) -> bool:
    return check_citizen_id(raw).ok


def org_code_check(code8: str) -> str:
    """GB 11714 organisation code check character for the first eight characters."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(code8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(authority: str, region: str, org8: str) -> str:
    """Build a valid code: 2-char registering authority + 6-digit region + 8+1 organisation code + check."""
    body = f"{authority}{region}{org8}{org_code_check(org8)}"
    return body + uscc.calc_check_digit(body)


def make_citizen_id(region: str, birth: date, sequence: int) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")
