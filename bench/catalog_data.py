"""Synthetic catalog for the search benchmark: Zibo (370300) and its counties, about 50 departments, and
resources with realistic unspaced Chinese names built from word lists (区县 + 限定 + 对象 + 方面), summaries
and 5-10 information items each. Deterministic for a given seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

CITY_BUREAUS = [
    "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局", "自然资源和规划局", "生态环境局",
    "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会",
    "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "教育局", "科学技术局",
    "工业和信息化局", "城市管理局", "行政审批服务局", "大数据局", "住房公积金管理中心", "气象局", "税务局",
    "体育局", "林业局", "地震局",
]  # fmt: skip
COUNTY_BUREAUS = ["公安分局", "民政局", "人力资源和社会保障局", "市场监督管理局", "行政审批服务局"]  # fmt: skip
ZIBO = "370300"

SUBJECTS = [
    "常住人口", "户籍人口", "流动人口", "出生人口", "死亡人口", "婚姻登记", "收养登记", "企业法人", "个体工商户",
    "农民专业合作社", "社会组织", "事业单位", "机关单位", "不动产登记", "房屋交易", "住房公积金", "机动车",
    "驾驶人", "交通违法", "道路运输企业", "出租汽车", "公交线路", "医疗机构", "执业医师", "护士执业",
    "药品零售企业", "医疗器械", "食品生产企业", "食品经营者", "特种设备", "安全生产许可", "危险化学品",
    "建筑施工企业", "建设工程项目", "施工许可", "排污单位", "环境影响评价", "水质监测", "空气质量", "土地利用",
    "林地保护", "耕地保护", "农村土地承包", "农业补贴", "涉农资金", "低保对象", "特困人员", "残疾人",
    "退役军人", "优抚对象", "养老机构", "老年人", "学生学籍", "中小学校", "教师资格", "职业技能培训",
    "就业登记", "失业登记", "养老保险", "医疗保险", "工伤保险", "失业保险", "纳税人", "增值税发票", "专利",
    "商标", "文物保护单位", "旅游景区", "星级酒店", "公共文化设施", "体育场馆", "气象观测", "地震监测",
    "应急物资", "应急避难场所", "消防重点单位", "信访事项", "行政处罚", "行政许可", "失信被执行人",
    "法律援助", "公证事项", "律师事务所", "司法鉴定", "人民调解", "城市部件", "燃气用户", "供热用户",
]  # fmt: skip
ASPECTS = [
    "基本信息", "登记信息", "变更信息", "注销信息", "许可信息", "审批信息", "备案信息", "年报信息", "处罚信息",
    "检查记录", "监测数据", "统计数据", "缴费记录", "发放明细", "名录", "台账", "证照信息", "信用信息",
    "评价结果", "查询接口", "核验接口", "汇总表", "明细表", "空间数据", "档案",
]  # fmt: skip
QUALIFIERS = [
    "", "", "", "城乡居民", "城镇职工", "全市", "年度", "月度", "实时", "历史", "重点", "市级", "县级", "农村",
    "城镇", "2019年", "2020年", "2021年", "2022年", "2023年", "2024年", "2025年",
]  # fmt: skip
ITEMS = [
    "姓名", "公民身份号码", "性别", "出生日期", "民族", "户籍地址", "现住址", "移动电话号码", "统一社会信用代码",
    "市场主体名称", "法定代表人姓名", "注册资本", "成立日期", "经营范围", "登记机关", "证照编号", "证照名称",
    "发证日期", "有效期截止日期", "行政区划代码", "办理日期", "审批结果", "审批部门", "处罚决定书文号", "处罚事由",
    "处罚金额", "缴费基数", "缴费月份", "参保状态", "参保险种", "车牌号码", "车辆类型", "号牌种类", "不动产单元号",
    "坐落", "建筑面积", "房屋用途", "权利人名称", "项目名称", "项目编号", "建设单位", "施工单位", "监测点位",
    "监测时间", "监测值", "学籍号", "学校名称", "年级", "执业范围", "执业地点", "许可证编号", "许可事项",
    "检查日期", "检查结果", "发放金额", "发放日期", "银行账号", "开户银行", "联系人", "联系电话", "电子邮箱",
    "邮政编码", "经度", "纬度", "备注", "数据更新时间", "记录状态", "业务流水号", "受理日期", "办结日期",
    "信用等级", "评价年度", "纳税人识别号", "税款所属期", "专利号", "商标注册号", "景区等级", "床位数",
]  # fmt: skip
PURPOSES = ["政务服务办理", "社会治理", "市场监管", "公共服务", "统计分析", "信用体系建设", "应急管理"]
VERBS = ["登记", "采集", "汇聚", "管理", "核发", "监测"]
CYCLES = ["实时", "每日", "每周", "每月", "每季度", "每年"]


@dataclass(frozen=True)
class DeptSpec:
    name: str
    jurisdiction: str


@dataclass(frozen=True)
class ResourceSpec:
    department: int  # index into departments
    name: str
    summary: str
    catalog_class: str
    subclass: str
    items: tuple[str, ...]


def departments(counties: list[tuple[str, str]]) -> list[DeptSpec]:
    """32 city bureaus, then 5 bureaus in each of the first counties, about 50 in all."""
    out = [DeptSpec(f"淄博市{b}", ZIBO) for b in CITY_BUREAUS]
    for code, name in counties:
        for b in COUNTY_BUREAUS:
            if len(out) >= 50:
                return out
            out.append(DeptSpec(f"{name}{b}", code))
    return out


def resources(
    n: int, depts: list[DeptSpec], county_names: dict[str, str], seed: int = 2026
) -> Iterator[ResourceSpec]:
    """``n`` resources spread over the departments, names unique within each department."""
    rng = random.Random(seed)
    from sanbu.catalog.codes import BASE_SUBCLASSES, THEME_SUBCLASSES

    base, theme = list(BASE_SUBCLASSES), list(THEME_SUBCLASSES)
    seen: set[tuple[int, str]] = set()
    made = 0
    while made < n:
        d = made % len(depts)
        dept = depts[d]
        place = county_names.get(dept.jurisdiction, "") if rng.random() < 0.5 else ""
        subject, aspect = rng.choice(SUBJECTS), rng.choice(ASPECTS)
        name = f"{place}{rng.choice(QUALIFIERS)}{subject}{aspect}"
        if (d, name) in seen:
            name = f"{name}第{rng.randint(2, 99)}批"
            if (d, name) in seen:
                continue
        seen.add((d, name))
        items = tuple(rng.sample(ITEMS, rng.randint(5, 10)))
        summary = (
            f"{dept.name}{rng.choice(VERBS)}的{subject}{aspect}，包括{'、'.join(items[:3])}等，"
            f"{rng.choice(CYCLES)}更新，用于{rng.choice(PURPOSES)}。"
        )
        roll = rng.random()
        if roll < 0.15:
            cls, sub = "1", rng.choice(base)
        elif roll < 0.35:
            cls, sub = "2", rng.choice(theme)
        else:
            cls, sub = "3", subject[:4]
        made += 1
        yield ResourceSpec(d, name[:50], summary[:256], cls, sub, items)
