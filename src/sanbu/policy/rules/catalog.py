"""Catalog rules (CAT-*): pure functions over frozen facts about one resource."""

from __future__ import annotations

from dataclasses import dataclass

from ..decisions import Decision, Fact, Outcome
from ..decisions import allow as _allow
from ..decisions import cite as _decision

# Base standard identifiers (catalog/data/elements.yaml) the rules reason about.
CITIZEN_ID = "DE00001"
USCC = "DE00009"
PERSONAL_ELEMENTS = {"DE00001": "公民身份号码", "DE00002": "姓名", "DE00006": "户籍地址", "DE00007": "现住址",
                     "DE00008": "移动电话号码"}  # fmt: skip
TYPE_FAMILIES = ({"C", "M"}, {"N", "I", "F", "B", "Y"}, {"D"}, {"T"}, {"L"}, {"G"})
KEY_BY_SUBCLASS = {"人口": (CITIZEN_ID, "公民身份号码"), "法人单位": (USCC, "统一社会信用代码")}


@dataclass(frozen=True)
class ItemFacts:
    name: str
    share_type: str  # effective: unconditional / conditional / none
    element: str | None  # element name
    element_id: str | None = None  # element identifier (DE…)
    element_type: str | None = None
    data_type: str = "C"
    is_key: bool = False
    masking: str = "none"


@dataclass(frozen=True)
class ResourceFacts:
    code: str
    share_type: str
    share_condition: str
    no_share_basis: str
    secrecy: str
    data_grade: str
    mounted: bool
    state: str
    items: tuple[ItemFacts, ...] = ()
    subclass: str = ""
    open_to_public: bool = False


def share_attribute(r: ResourceFacts) -> Decision:
    """CAT-5: 有条件 states its condition; 不予共享 cites a basis."""
    if r.share_type == "conditional" and not r.share_condition.strip():
        return _decision(
            "CAT-5", Outcome.BLOCK, "有条件共享的资源未填写共享条件",
            Fact("share_condition", ""), "填写具体的共享条件（如：仅限办理社保业务的部门使用）",
        )  # fmt: skip
    if r.share_type == "none" and not r.no_share_basis.strip():
        return _decision(
            "CAT-5", Outcome.BLOCK, "不予共享的资源未提供法律、行政法规或国务院决定的依据",
            Fact("no_share_basis", ""), "填写不予共享的法律或政策依据，或改为有条件共享",
        )  # fmt: skip
    return _allow("CAT-5")


def secrecy(r: ResourceFacts) -> Decision:
    """CAT-6: data involving state secrets is shared only with both sides' approval, never to all."""
    if r.secrecy == "secret" and (r.share_type == "unconditional" or r.open_to_public):
        what = "向社会开放" if r.open_to_public else "无条件共享"
        return _decision(
            "CAT-6", Outcome.BLOCK, f"涉密资源不能{what}",
            Fact("secrecy", r.secrecy), "改为有条件共享，并在共享条件中写明须经双方审批或备案；不向社会开放",
        )  # fmt: skip
    return _allow("CAT-6")


def grading(r: ResourceFacts) -> Decision:
    """CAT-7: 核心 data is not opened to the public; personal items of 重要/核心 data carry a masking rule."""
    if r.data_grade == "core" and r.open_to_public:
        return _decision(
            "CAT-7", Outcome.BLOCK, "核心数据不能向社会开放",
            Fact("data_grade", r.data_grade), "取消向社会开放，或经分级评估后调整数据级别",
        )  # fmt: skip
    if r.data_grade in ("important", "core"):
        bare = [i.name for i in r.items if i.element_id in PERSONAL_ELEMENTS and i.masking == "none"]
        if bare:
            return _decision(
                "CAT-7", Outcome.WARN, f"{'重要' if r.data_grade == 'important' else '核心'}数据中的个人信息项未设置脱敏方式",
                Fact("unmasked_personal_items", bare[:10]), "为这些信息项设置脱敏方式（身份证号、手机号、姓名、地址）",
            )  # fmt: skip
    return _allow("CAT-7")


def keys(r: ResourceFacts) -> Decision:
    """CAT-8: people are keyed by 公民身份号码, organisations by 统一社会信用代码 (一号通行)."""
    wanted = KEY_BY_SUBCLASS.get(r.subclass)
    if wanted and not any(i.is_key and i.element_id == wanted[0] for i in r.items):
        return _decision(
            "CAT-8", Outcome.WARN, f"{r.subclass}类资源没有以“{wanted[1]}”为主键的信息项",
            Fact("key_element", wanted[1]), f"增加引用数据元“{wanted[1]}”的信息项并设为主键",
        )  # fmt: skip
    return _allow("CAT-8")


def items_reference_elements(r: ResourceFacts) -> Decision:
    """CAT-3 一标准: items reference standard elements with the element's type; unlinked items warn."""
    for i in r.items:
        if i.element_type and not any(i.data_type in f and i.element_type in f for f in TYPE_FAMILIES):
            return _decision(
                "CAT-3", Outcome.BLOCK,
                f"信息项“{i.name}”的数据类型 {i.data_type} 与数据元“{i.element}”的类型 {i.element_type} 不一致",
                Fact("item_data_type", {"item": i.name, "type": i.data_type, "element_type": i.element_type}),
                f"按数据元标准把“{i.name}”的数据类型改为 {i.element_type}，或改引其他数据元",
            )  # fmt: skip
    unlinked = [i.name for i in r.items if i.element is None]
    if unlinked:
        return _decision(
            "CAT-3", Outcome.WARN, f"{len(unlinked)} 个信息项未关联标准数据元",
            Fact("unlinked_items", unlinked[:10]), "在信息项中引用数据元标准中的名称或标识符",
        )  # fmt: skip
    return _allow("CAT-3")


def mounted_before_publish(r: ResourceFacts) -> Decision:
    """CAT-4: only mounted resources are published."""
    if not r.mounted:
        return _decision(
            "CAT-4", Outcome.BLOCK, "资源尚未挂接数据或接口，不能发布",
            Fact("mounted", False), "先上传数据（xlsx/CSV）或登记服务接口完成挂接，再发布",
        )  # fmt: skip
    return _allow("CAT-4")


def can_submit(r: ResourceFacts) -> list[Decision]:
    return [share_attribute(r), secrecy(r), grading(r), items_reference_elements(r), keys(r)]


def can_publish(r: ResourceFacts) -> list[Decision]:
    return [*can_submit(r), mounted_before_publish(r)]
