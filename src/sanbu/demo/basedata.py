"""Base data at benchmark scale (一号通行, CAT-8): synthetic 人口, 法人 and 电子证照 resources.

``sanbu generate_base_data`` registers three 基础信息资源 through the real catalog services, under the
demo departments (``sanbu load_demo`` first):

- 全员人口基础信息 (淄博市公安局, 1/人口, 有条件共享, 重要数据), keyed by 公民身份号码;
- 法人单位基础信息 (淄博市市场监督管理局, 1/法人单位, 无条件共享, 一般数据: 登记信息本就公示), keyed by
  统一社会信用代码;
- 个人电子证照信息 (淄博市大数据局, 1/电子证照, 有条件共享, 重要数据), keyed by 证照编号, held by the
  generated persons.

Rows are generated directly (no spreadsheet, no per-row parsing) and stored by
``datastore.loading.store_rows_bulk``: personal items of 重要 resources SM4-encrypted, a protected key
blind-indexed, inserted in large batches in one datastore transaction. Memory stays flat: every
record is a pure function of ``(seed, index)``, so nothing is kept between batches, and a licence finds
its holder by recomputing that person.

Identifiers are valid by construction and unique without a lookup table: a person's index goes through
an affine permutation of (county × birth date × sequence number), an organisation's through a
permutation of its 8-digit organisation code, and the check digits are computed (GB 11643 MOD 11-2,
GB 11714 and GB 32100 MOD 31). Place codes are the jurisdiction's current GB/T 2260 county codes.

A rerun mounts a new generation and drops the old one: same resources, new current mount, one change
record per mount in the audit chain.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction

from sanbu.catalog import services as catalog
from sanbu.catalog.elements import ElementIndex
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import (
    DataGrade,
    Masking,
    MountKind,
    Resource,
    ResourceFormat,
    ResourceMount,
    ResourceState,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from sanbu.core import audit, places
from sanbu.core.actor import Actor
from sanbu.core.identifiers import make_uscc
from sanbu.datastore import loading
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import actor_for_user

from . import data as demo

DEFAULT_SEED = 20260801
DEFAULT_JURISDICTION = demo.CITY
REVIEWER = "admin_dsj"
REQUEST_ID = "generate-base-data"
MOUNT_STATES = [ResourceState.APPROVED, ResourceState.MOUNTED, ResourceState.PUBLISHED]

MASK64 = (1 << 64) - 1


class BaseDataError(Exception):
    """The base data cannot be generated here (what to do is in the message, in Chinese)."""


# --- pseudo-randomness that is a function of (seed, index) ---------------------------------------


def mix(x: int) -> int:
    """SplitMix64's finalizer: a fast 64-bit integer hash with good avalanche."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def salt(seed: int, label: str) -> int:
    value = mix(seed & MASK64)
    for ch in label:
        value = mix(value ^ ord(ch))
    return value


@dataclass(frozen=True)
class Permutation:
    """``i -> (a*i + b) mod size`` with ``gcd(a, size) == 1``: a bijection of ``range(size)``, so the
    records drawn from it never collide and no set of used values is needed."""

    size: int
    a: int
    b: int

    @classmethod
    def make(cls, size: int, seed: int, label: str) -> Permutation:
        h = salt(seed, label)
        # a multiplier near size/φ spreads consecutive indexes over the whole space
        a = (int(size * 0.6180339887) + h % max(1, size // 1000)) % size or 1
        while math.gcd(a, size) != 1:
            a += 1
        return cls(size, a, mix(h) % size)

    def __call__(self, i: int) -> int:
        return (self.a * i + self.b) % self.size


# --- places ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    code: str
    name: str
    province: str  # 山东省
    city: str  # 淄博市; "" under a municipality or for a county directly under the province

    @property
    def prefix(self) -> str:
        """The address prefix: 山东省淄博市张店区."""
        return f"{self.province}{self.city}{self.name}"


NOT_CITIES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def counties_of(jurisdiction: str) -> list[County]:
    """The current county-level GB/T 2260 codes under a province, city or county (市辖区 excluded)."""
    top = places.get(jurisdiction)
    if top is None:
        raise BaseDataError(
            f"行政区划代码 {jurisdiction} 不在 GB/T 2260 中，请填写 6 位区划代码，如 370300（淄博市）。"
        )
    if top.level == 3:
        found = [top]
    else:
        stem = jurisdiction[: 2 * top.level]
        found = [
            p
            for c, p in sorted(places.all_places().items())
            if p.level == 3 and p.current and c.startswith(stem) and p.name != "市辖区"
        ]
    out = []
    for p in found:
        province = places.get(p.code[:2] + "0000")
        city = places.get(p.code[:4] + "00")
        out.append(
            County(
                code=p.code, name=p.name, province=province.name if province else "",
                city=city.name if city is not None and city.name not in NOT_CITIES else "",
            )
        )  # fmt: skip
    if not out:
        raise BaseDataError(f"{top.name}（{jurisdiction}）下没有县级行政区划代码，无法生成住址与区划。")
    return out


# --- persons --------------------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
BIRTH_FIRST = date(1940, 1, 1)
BIRTH_LAST = date(2024, 12, 31)
PHONE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
                  "153", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182",
                  "183", "185", "186", "187", "188", "189", "191", "198", "199")  # fmt: skip
GIVEN = "".join(dict.fromkeys(demo.GIVEN))


def _weighted(digits: str, offset: int) -> int:
    return sum(int(d) * ID_WEIGHTS[offset + n] for n, d in enumerate(digits))


def person_name(h: int) -> tuple[str, int]:
    """A name from the hash bits; returns the unused bits."""
    h, s = divmod(h, len(demo.SURNAMES))
    h, g1 = divmod(h, len(GIVEN))
    h, form = divmod(h, 4)
    name = demo.SURNAMES[s] + GIVEN[g1]
    if form:  # three in four names have two given characters
        h, g2 = divmod(h, len(GIVEN))
        name += GIVEN[g2]
    return name, h


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    gender: str  # GB/T 2261.1: 1 男 2 女
    birth: str
    nation: str
    phone: str
    hukou: str
    address: str
    county: str


class PersonMaker:
    """Person ``i`` of a generation: a unique valid 公民身份号码 and consistent attributes."""

    def __init__(self, seed: int, counties: list[County], count: int) -> None:
        self.counties = counties
        days = (BIRTH_LAST - BIRTH_FIRST).days + 1
        self.days = days
        space = len(counties) * days * 1000
        if count > space:
            raise BaseDataError(f"人口数 {count} 超过该区划可生成的不重复身份号码数 {space}。")
        self.perm = Permutation.make(space, seed, "person")
        self.salt = salt(seed, "person-attributes")
        self.county_sums = [_weighted(c.code, 0) for c in counties]
        self.dates: list[tuple[str, str, int]] = []
        for n in range(days):
            d = BIRTH_FIRST + timedelta(days=n)
            compact = f"{d.year:04d}{d.month:02d}{d.day:02d}"
            self.dates.append((compact, d.isoformat(), _weighted(compact, 6)))
        self.seqs = [(f"{n:03d}", _weighted(f"{n:03d}", 14)) for n in range(1000)]

    def __call__(self, i: int) -> Person:
        slot = self.perm(i)
        rest, c = divmod(slot, len(self.counties))
        seq_n, d = divmod(rest, self.days)
        county = self.counties[c]
        compact, iso, date_sum = self.dates[d]
        seq, seq_sum = self.seqs[seq_n]
        pid = f"{county.code}{compact}{seq}{ID_CHECK[(self.county_sums[c] + date_sum + seq_sum) % 11]}"
        h = mix(self.salt ^ i)
        name, h = person_name(h)
        h, n = divmod(h, 1000)
        nation = "01" if n < 985 else ("03" if n < 995 else "08")  # 汉族, a few 回族 and 满族
        h, p = divmod(h, len(PHONE_PREFIXES))
        phone = f"{PHONE_PREFIXES[p]}{h % 100_000_000:08d}"
        g = mix(h ^ self.salt ^ 0x5A5A)
        g, street = divmod(g, len(demo.STREETS))
        g, number = divmod(g, 300)
        hukou = f"{county.prefix}{demo.STREETS[street]}{number + 1}号"
        g, moved = divmod(g, 10)
        if moved < 6:  # six in ten live at their 户籍 address
            address = hukou
        else:
            g, c2 = divmod(g, len(self.counties))
            g, street2 = divmod(g, len(demo.STREETS))
            g, number2 = divmod(g, 300)
            g, building = divmod(g, 30)
            g, unit = divmod(g, 4)
            room = g % 1800
            address = (
                f"{self.counties[c2].prefix}{demo.STREETS[street2]}{number2 + 1}号"
                f"{building + 1}号楼{unit + 1}单元{room // 100 + 1}{room % 100 % 4 + 1:02d}室"
            )
        return Person(
            id=pid, name=name, gender="1" if seq_n % 2 else "2", birth=iso, nation=nation, phone=phone,
            hukou=hukou, address=address, county=county.code,
        )  # fmt: skip


def person_row(p: Person) -> dict[str, Any]:
    return {
        "公民身份号码": p.id, "姓名": p.name, "性别": p.gender, "出生日期": p.birth, "民族": p.nation,
        "户籍地址": p.hukou, "现住址": p.address, "移动电话号码": p.phone, "行政区划代码": p.county,
    }  # fmt: skip


# --- organisations --------------------------------------------------------------------------------

ZIHAO = "".join(
    dict.fromkeys(demo.BRANDS + "鑫源瑞祥福安康达丰润美锦绣宏图远航广益信诚东方正大同创汇通丰泽和顺佳")
)
NAME_PREFIXES = ("淄博", "山东", "淄博市", "山东省")
ORG_FORMS: tuple[
    tuple[str, int, tuple[str, ...]], ...
] = (  # (registering authority + category, share in 1000, 企业类型 code)
    ("91", 850, ("1100", "1130", "1150", "1200", "2100")),  # 企业
    ("92", 120, ("9100",)),  # 个体工商户
    ("93", 30, ("9300",)),  # 农民专业合作社
)
ORG_STATUS = ("存续",) * 17 + ("注销", "吊销", "迁出")
CAPITALS = ("10", "30", "50", "100", "200", "300", "500", "1000", "2000", "5000")
FOUNDED_FIRST = date(1990, 1, 1)
FOUNDED_DAYS = (date(2025, 12, 31) - FOUNDED_FIRST).days + 1


@dataclass(frozen=True)
class Org:
    uscc: str
    name: str
    kind: str
    legal: str
    capital: str
    founded: str
    address: str
    scope: str
    registrar: str
    status: str
    county: str


class OrgMaker:
    """Organisation ``i``: a unique valid 统一社会信用代码 and a name unique within the name space."""

    def __init__(self, seed: int, counties: list[County], count: int) -> None:
        self.counties = counties
        if count > 10**8:
            raise BaseDataError(f"法人数 {count} 超过可生成的不重复组织机构代码数 100000000。")
        self.code_perm = Permutation.make(10**8, seed, "org-code")
        self.name_space = len(NAME_PREFIXES) * len(ZIHAO) ** 2 * len(demo.TRADES)
        self.name_perm = Permutation.make(self.name_space, seed, "org-name")
        self.salt = salt(seed, "org-attributes")
        self.forms: list[tuple[str, int, tuple[str, ...]]] = []
        total = 0
        for authority, share, kinds in ORG_FORMS:
            total += share
            self.forms.append((authority, total, kinds))

    def __call__(self, i: int) -> Org:
        h = mix(self.salt ^ i)
        h, c = divmod(h, len(self.counties))
        county = self.counties[c]
        h, f = divmod(h, 1000)
        authority, kinds = next((a, k) for a, upto, k in self.forms if f < upto)
        h, k = divmod(h, len(kinds))
        uscc = make_uscc(authority, county.code, f"{self.code_perm(i):08d}")
        slot = self.name_perm(i % self.name_space)
        slot, prefix = divmod(slot, len(NAME_PREFIXES))
        slot, z1 = divmod(slot, len(ZIHAO))
        trade_n, z2 = divmod(slot, len(ZIHAO))
        zihao = ZIHAO[z1] + ZIHAO[z2]
        trade, scope = demo.TRADES[trade_n]
        if authority == "91":
            name = f"{NAME_PREFIXES[prefix]}{zihao}{trade}有限公司"
        elif authority == "92":
            name = f"{county.name}{zihao}{trade}经营部"
        else:
            name = f"{county.name}{zihao}{trade}专业合作社"
        legal, h = person_name(h)
        h, cap = divmod(h, len(CAPITALS))
        h, day = divmod(h, FOUNDED_DAYS)
        h, street = divmod(h, len(demo.STREETS))
        h, number = divmod(h, 500)
        status = ORG_STATUS[h % len(ORG_STATUS)]
        return Org(
            uscc=uscc, name=name, kind=kinds[k], legal=legal,
            capital=CAPITALS[cap] if authority == "91" else CAPITALS[cap % 3],
            founded=(FOUNDED_FIRST + timedelta(days=day)).isoformat(),
            address=f"{county.prefix}{demo.STREETS[street]}{number + 1}号", scope=scope,
            registrar=f"{county.city}{county.name}市场监督管理局",
            status=status, county=county.code,
        )  # fmt: skip


def org_row(o: Org) -> dict[str, Any]:
    return {
        "统一社会信用代码": o.uscc, "市场主体名称": o.name, "企业类型": o.kind, "法定代表人姓名": o.legal,
        "注册资本": o.capital, "成立日期": o.founded, "住所": o.address, "经营范围": o.scope,
        "登记机关": o.registrar, "登记状态": o.status, "行政区划代码": o.county,
    }  # fmt: skip


# --- electronic licences held by the generated persons -------------------------------------------

# (code, 证照名称, 颁发机构 (county-level when it contains {county}), years valid or 0 for 长期)
LICENCE_TYPES = (
    ("01", "机动车驾驶证", "{city}公安局交通警察支队", 10),
    ("02", "社会保障卡", "{city}人力资源和社会保障局", 10),
    ("03", "结婚证", "{county}民政局", 0),
    ("04", "不动产权证书", "{city}自然资源和规划局", 0),
    ("05", "职业资格证书", "{city}人力资源和社会保障局", 0),
    ("06", "残疾人证", "{county}残疾人联合会", 10),
    ("07", "教师资格证", "{city}教育局", 0),
    ("08", "出生医学证明", "{city}妇幼保健院", 0),
)
ISSUE_FIRST = date(2015, 1, 1)
ISSUE_DAYS = (date(2025, 12, 31) - ISSUE_FIRST).days + 1


@dataclass(frozen=True)
class Licence:
    number: str
    title: str
    holder_id: str
    holder_name: str
    issued: str
    expires: str | None
    issuer: str
    county: str


class LicenceMaker:
    """Licence ``k``: a unique 证照编号, held by one of the generation's persons."""

    def __init__(self, seed: int, persons: PersonMaker, person_count: int) -> None:
        if person_count <= 0:
            raise BaseDataError("电子证照的持证人取自生成的人口：--licences 大于 0 时 --persons 也须大于 0。")
        self.persons = persons
        self.person_count = person_count
        self.salt = salt(seed, "licence")
        self.counties = {c.code: c for c in persons.counties}

    def __call__(self, k: int) -> Licence:
        h = mix(self.salt ^ k)
        h, holder = divmod(h, self.person_count)
        h, t = divmod(h, len(LICENCE_TYPES))
        day = h % ISSUE_DAYS
        p = self.persons(holder)
        code, title, issuer, years = LICENCE_TYPES[t]
        issued = ISSUE_FIRST + timedelta(days=day)
        expires = None
        if years:
            expires = issued.replace(year=issued.year + years, day=min(issued.day, 28)).isoformat()
        county = self.counties[p.county]
        city = county.city or county.province
        return Licence(
            number=f"{p.county}{code}{issued.year}{k + 1:010d}", title=title, holder_id=p.id,
            holder_name=p.name, issued=issued.isoformat(), expires=expires,
            issuer=issuer.format(city=city, county=county.city + county.name), county=p.county,
        )  # fmt: skip


def licence_row(lc: Licence) -> dict[str, Any]:
    return {
        "证照编号": lc.number, "证照名称": lc.title, "持证人公民身份号码": lc.holder_id,
        "持证人姓名": lc.holder_name, "发证日期": lc.issued, "有效期截止日期": lc.expires,
        "证照颁发机构": lc.issuer, "行政区划代码": lc.county,
    }  # fmt: skip


# --- the three resources --------------------------------------------------------------------------


def _item(
    name: str, data_type: str, length: int | None, element: str = "", *, key: bool = False,
    masking: str = Masking.NONE,
) -> ItemInput:  # fmt: skip
    return ItemInput(
        name=name, data_type=data_type, length=length, element=element, is_key=key, masking=masking
    )


@dataclass(frozen=True)
class BaseResource:
    kind: str  # persons / orgs / licences
    label: str  # 人口 / 法人 / 电子证照
    department: str  # demo DeptSpec.key
    input: ResourceInput


PERSONS = BaseResource("persons", "人口", "gaj", ResourceInput(
    name="全员人口基础信息", catalog_class="1", subclass="人口",
    summary="淄博市公安局户籍人口基础信息（一号通行）：以公民身份号码为唯一标识，包括姓名、性别、出生日期、民族、"
            "户籍地址、现住址、移动电话号码和户籍地行政区划代码，个人信息项按重要数据加密存储。",
    format=ResourceFormat.DATABASE, share_type=ShareType.CONDITIONAL, share_method=ShareMethod.API,
    update_cycle=UpdateCycle.REALTIME, data_grade=DataGrade.IMPORTANT, source_system="公安人口管理信息系统",
    share_condition="仅限政务部门在履行法定职责时通过共享平台接口按公民身份号码核验或查询，按最小必要原则申请信息项，"
                    "不得批量下载留存或向第三方提供。",
    items=[
        _item("公民身份号码", "C", 18, "公民身份号码", key=True, masking=Masking.ID_NUMBER),
        _item("姓名", "C", 50, "姓名", masking=Masking.NAME),
        _item("性别", "C", 1, "性别"),
        _item("出生日期", "D", 8, "出生日期"),
        _item("民族", "C", 2, "民族"),
        _item("户籍地址", "C", 200, "户籍地址", masking=Masking.ADDRESS),
        _item("现住址", "C", 200, "现住址", masking=Masking.ADDRESS),
        _item("移动电话号码", "C", 11, "移动电话号码", masking=Masking.MOBILE),
        _item("行政区划代码", "C", 6, "行政区划代码"),
    ],
))  # fmt: skip

ORGS = BaseResource("orgs", "法人", "scjgj", ResourceInput(
    name="法人单位基础信息", catalog_class="1", subclass="法人单位",
    summary="淄博市市场主体登记的法人单位基础信息（一号通行）：以统一社会信用代码为唯一标识，包括名称、企业类型、"
            "法定代表人、注册资本、成立日期、住所、经营范围、登记机关和登记状态，均为依法公示的登记信息。",
    format=ResourceFormat.DATABASE, share_type=ShareType.UNCONDITIONAL, share_method=ShareMethod.API,
    update_cycle=UpdateCycle.DAILY, data_grade=DataGrade.GENERAL, source_system="市场主体登记注册系统",
    items=[
        _item("统一社会信用代码", "C", 18, "统一社会信用代码", key=True),
        _item("市场主体名称", "C", 200, "市场主体名称"),
        _item("企业类型", "C", 4, "企业类型"),
        _item("法定代表人姓名", "C", 50, "法定代表人姓名", masking=Masking.NAME),
        _item("注册资本", "Y", 18, "注册资本"),
        _item("成立日期", "D", 8, "成立日期"),
        _item("住所", "C", 200),
        _item("经营范围", "M", 4000, "经营范围"),
        _item("登记机关", "C", 100, "登记机关"),
        _item("登记状态", "C", 2, "登记状态"),
        _item("行政区划代码", "C", 6, "行政区划代码"),
    ],
))  # fmt: skip

LICENCES = BaseResource("licences", "电子证照", "dsj", ResourceInput(
    name="个人电子证照信息", catalog_class="1", subclass="电子证照",
    summary="淄博市电子证照库中自然人持有的电子证照（一号通行）：证照编号、证照名称、持证人公民身份号码和姓名、"
            "发证日期、有效期和颁发机构，持证人信息按重要数据加密存储。",
    format=ResourceFormat.DATABASE, share_type=ShareType.CONDITIONAL, share_method=ShareMethod.API,
    update_cycle=UpdateCycle.REALTIME, data_grade=DataGrade.IMPORTANT, source_system="淄博市一体化大数据平台",
    share_condition="用于政务服务事项办理时亮证、核验和免交纸质材料，须通过共享平台接口按证照编号查询并留存调用日志，"
                    "不得批量下载留存。",
    items=[
        _item("证照编号", "C", 64, "证照编号", key=True),
        _item("证照名称", "C", 100, "证照名称"),
        _item("持证人公民身份号码", "C", 18, "公民身份号码", masking=Masking.ID_NUMBER),
        _item("持证人姓名", "C", 50, "姓名", masking=Masking.NAME),
        _item("发证日期", "D", 8, "发证日期"),
        _item("有效期截止日期", "D", 8, "有效期截止日期"),
        _item("证照颁发机构", "C", 100, "证照颁发机构"),
        _item("行政区划代码", "C", 6, "行政区划代码"),
    ],
))  # fmt: skip

BASE_RESOURCES = (PERSONS, ORGS, LICENCES)


# --- preflight: the demo departments and their stewards -------------------------------------------


@dataclass(frozen=True)
class Providers:
    departments: dict[str, Department]
    stewards: dict[str, Actor]
    reviewer: Actor


def providers(kinds: list[BaseResource]) -> Providers:
    """The demo departments, stewards and the reviewing authority; ``BaseDataError`` when missing."""
    specs = {d.key: (i, d) for i, d in enumerate(demo.DEPARTMENTS)}
    departments: dict[str, Department] = {}
    missing: list[str] = []
    for res in kinds:
        index, spec = specs[res.department]
        dept = (
            Department.objects.select_related("jurisdiction").filter(uscc=demo.dept_uscc(index, spec)).first()
        )
        if dept is None:
            missing.append(spec.name)
        else:
            departments[res.department] = dept
    User = get_user_model()
    usernames = [f"{res.department}_steward" for res in kinds] + [REVIEWER]
    users = {u.get_username(): u for u in User.objects.filter(username__in=usernames, is_active=True)}
    missing += [f"账号 {name}" for name in usernames if name not in users]
    if missing:
        raise BaseDataError(
            f"未找到演示部门或账号：{'、'.join(dict.fromkeys(missing))}。"
            "基础数据挂在演示部门之下，请先运行 sanbu load_demo（演示设置 "
            "DJANGO_SETTINGS_MODULE=sanbu.config.settings.demo），再运行 sanbu generate_base_data。"
        )
    stewards = {
        res.department: actor_for_user(users[f"{res.department}_steward"], request_id=REQUEST_ID)
        for res in kinds
    }
    return Providers(departments, stewards, actor_for_user(users[REVIEWER], request_id=REQUEST_ID))


# --- catalog workflow -----------------------------------------------------------------------------


def _wanted_shape(data: ResourceInput, index: ElementIndex) -> list[tuple[str, str, int | None, bool, str]]:
    out = []
    for i in data.items:
        element = index.find(i.element) if i.element else None
        out.append((i.name, i.data_type, i.length, i.is_key, element.identifier if element else ""))
    return out


def _current_shape(resource: Resource) -> list[tuple[str, str, int | None, bool, str]]:
    return [
        (i.name, i.data_type, i.length, i.is_key, i.element.identifier if i.element else "")
        for i in resource.items.select_related("element").order_by("position", "id")
    ]


def ensure_registered(res: BaseResource, p: Providers, index: ElementIndex) -> Resource:
    """The resource registered, reviewed and ready to mount (its items as specified)."""
    steward, dept = p.stewards[res.department], p.departments[res.department]
    r = Resource.objects.filter(department=dept, name=res.input.name).first()
    if r is None:
        r = catalog.resource_register(actor=steward, data=res.input, department_id=dept.pk, index=index)
    elif _current_shape(r) != _wanted_shape(res.input, index):  # edited since: put the items back
        r = catalog.resource_update(
            actor=steward, resource_id=r.pk, expected_version=r.version, data=res.input, index=index
        )
    if r.state in (ResourceState.DRAFT, ResourceState.REJECTED):
        r = catalog.resource_submit(actor=steward, resource_id=r.pk, expected_version=r.version).resource
    if r.state == ResourceState.SUBMITTED:
        r = catalog.resource_review(
            actor=p.reviewer, resource_id=r.pk, expected_version=r.version, approve=True,
            note="基础数据（一号通行）批量生成，审核通过。",
        ).resource  # fmt: skip
    if r.state == ResourceState.OFFLINE:
        if r.mount_kind == MountKind.NONE:
            raise BaseDataError(f"资源“{r.name}”已下线且未挂接，请先在目录中处理后再生成。")
        r = catalog.resource_publish(actor=steward, resource_id=r.pk, expected_version=r.version).resource
    return r


@dataclass
class MountResult:
    resource: Resource
    mount: ResourceMount
    rows: int
    replaced: list[int]


def _drop_replaced(resource_id: int, mount_id: int) -> None:
    with loading.bulk_session():  # a million replaced rows go faster without an fsync per page
        loading.drop_other_mounts(resource_id=resource_id, keep_mount_id=mount_id)


def mount_generated(
    *,
    actor: Actor,
    resource_id: int,
    rows: Iterator[dict[str, Any]],
    label: str,
    batch_size: int = loading.BULK_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> MountResult:
    """挂接 generated rows as the resource's current mount, without holding the catalog for the load.

    Like ``catalog.services.resource_mount_rows`` (same permission, states, revision check, transition
    and change record), in three steps: reserve a mount that is not current (short transaction); store
    the rows in the datastore (``store_rows_bulk``, its own transaction); make the mount current and
    write one change record (short transaction, the revision compared again). Earlier mounts' rows are
    dropped once that commits. If anything fails, the reserved mount and its rows are removed.
    """
    with transaction.atomic():
        resource = catalog._locked_resource(actor, resource_id, "catalog.resource.mount")
        catalog._require_state(resource, MOUNT_STATES, "挂接")
        version = resource.version
        items = list(resource.items.select_related("element").order_by("position", "id"))
        mount = ResourceMount.objects.create(
            resource=resource, kind=MountKind.ROWS, is_current=False, file_name=label[:200], row_count=0,
            created_by=actor.username,
        )  # fmt: skip
    key = loading.key_item(items)
    protected = loading.protected_items(items, resource.data_grade)
    try:
        count = loading.store_rows_bulk(
            resource_id=resource.pk, mount_id=mount.pk, rows=rows, key_name=key.name if key else None,
            protected=protected, view=loading.view_spec(items, resource.data_grade), batch_size=batch_size,
            progress=progress,
        )  # fmt: skip
        with transaction.atomic():
            resource = catalog._locked_resource(actor, resource_id, "catalog.resource.mount")
            catalog._check_revision(resource, version)
            catalog._require_state(resource, MOUNT_STATES, "挂接")
            current = ResourceMount.objects.filter(resource=resource, is_current=True)
            replaced = list(current.values_list("pk", flat=True))
            current.update(is_current=False)
            ResourceMount.objects.filter(pk=mount.pk).update(is_current=True, row_count=count)
            mount.is_current, mount.row_count = True, count
            rid, mid = resource.pk, mount.pk
            transaction.on_commit(lambda: _drop_replaced(rid, mid))
            target = (
                ResourceState.PUBLISHED
                if resource.state == ResourceState.PUBLISHED
                else ResourceState.MOUNTED
            )
            before = catalog._transition(resource, target, mount_kind=MountKind.ROWS)
            audit.record(
                actor=actor, action="catalog.resource.mount_rows", obj=resource, before=before,
                after={"state": resource.state, "mount": mount.pk, "file": label, "rows": count,
                       "replaced_mounts": replaced, "encrypted_items": sorted(protected)},
            )  # fmt: skip
    except BaseException:
        loading.drop_mount_rows(mount_id=mount.pk)
        ResourceMount.objects.filter(pk=mount.pk, is_current=False).delete()
        raise
    return MountResult(resource, mount, count, replaced)


# --- the whole generation -------------------------------------------------------------------------


@dataclass
class Generated:
    label: str
    department: str
    resource_id: int
    code: str
    name: str
    share_type: str
    data_grade: str
    mount_id: int
    rows: int
    encrypted: list[str]
    replaced: list[int]
    seconds: float


@dataclass
class Summary:
    seed: int
    jurisdiction: str
    counties: list[str]
    results: list[Generated] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.results)


def generate(
    *,
    persons: int,
    orgs: int,
    licences: int,
    seed: int = DEFAULT_SEED,
    jurisdiction: str = DEFAULT_JURISDICTION,
    batch_size: int = loading.BULK_BATCH_SIZE,
    progress: Callable[[BaseResource, int, int], None] | None = None,
) -> Summary:
    """Register (first time), mount and publish the base resources; a kind with count 0 is left alone."""
    started = time.monotonic()
    if min(persons, orgs, licences) < 0:
        raise BaseDataError("数量不能为负数。")
    counties = counties_of(jurisdiction)
    person_maker = PersonMaker(seed, counties, persons)
    makers: dict[str, tuple[int, Callable[[int], dict[str, Any]]]] = {
        "persons": (persons, lambda i: person_row(person_maker(i))),
    }
    if orgs:
        org_maker = OrgMaker(seed, counties, orgs)
        makers["orgs"] = (orgs, lambda i: org_row(org_maker(i)))
    if licences:
        licence_maker = LicenceMaker(seed, person_maker, persons)
        makers["licences"] = (licences, lambda i: licence_row(licence_maker(i)))
    counts = {"persons": persons, "orgs": orgs, "licences": licences}
    kinds = [r for r in BASE_RESOURCES if counts[r.kind] > 0]
    summary = Summary(seed=seed, jurisdiction=jurisdiction, counties=[c.code for c in counties])
    if not kinds:
        return summary
    try:
        p = providers(kinds)
    except DatabaseError as exc:  # tables missing: not migrated
        raise BaseDataError(
            "数据库尚未初始化：请先运行 sanbu migrate、sanbu migrate --database datastore 和 sanbu load_demo。"
        ) from exc
    index = ElementIndex()
    for res in kinds:
        t0 = time.monotonic()
        count, make = makers[res.kind]
        resource = ensure_registered(res, p, index)
        label = f"generate_base_data：{res.label} {count} 条（seed={seed}，区划 {jurisdiction}）"

        def report(done: int, res: BaseResource = res, count: int = count) -> None:
            if progress is not None:
                progress(res, done, count)

        result = mount_generated(
            actor=p.stewards[res.department], resource_id=resource.pk, rows=(make(i) for i in range(count)),
            label=label, batch_size=batch_size, progress=report,
        )  # fmt: skip
        resource = result.resource
        if resource.state != ResourceState.PUBLISHED:
            resource = catalog.resource_publish(
                actor=p.stewards[res.department], resource_id=resource.pk, expected_version=resource.version
            ).resource
        items = list(resource.items.select_related("element").order_by("position", "id"))
        summary.results.append(
            Generated(
                label=res.label, department=p.departments[res.department].name, resource_id=resource.pk,
                code=resource.code, name=resource.name, share_type=resource.get_share_type_display(),
                data_grade=resource.get_data_grade_display(), mount_id=result.mount.pk, rows=result.rows,
                encrypted=[i.name for i in items if i.name in loading.protected_items(items, resource.data_grade)],
                replaced=result.replaced, seconds=time.monotonic() - t0,
            )
        )  # fmt: skip
    summary.seconds = time.monotonic() - started
    return summary
