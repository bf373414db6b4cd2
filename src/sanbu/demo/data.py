"""Synthetic demo data for 淄博市 (370300), built only through the real services.

Departments (valid 统一社会信用代码), users for every role, a few hundred resources across the 基础/主题/部门
catalogs in every workflow state, mounted rows with valid 公民身份号码 and 统一社会信用代码, interfaces,
一数一源 conflicts and a few 重复采集. Deterministic (seeded) and loaded at most once.

Resource lines read ``名称 | 模板 | 分类 | 附加信息项 | 选项``:

- 模板: ``P`` person, ``E`` legal entity, ``LP``/``LE`` licence held by a person/entity, ``S`` statistics,
  ``O`` place or facility, ``R`` record, ``-`` none; a trailing ``!`` claims authority (一数一源) for the
  template's key item.
- 分类: ``1/人口`` (基础), ``2/社会保障`` (主题), ``3`` (部门, subclass = the department's short name).
- 附加信息项: ``@数据元`` references a standard element; ``名称:C20`` is a plain item (type, length);
  ``#`` marks a key item, ``!`` an authoritative one, ``=甲、乙`` the values rows draw from. An item
  named like a template item replaces it.
- 选项: a target state (``published`` …) and ``api`` for an interface instead of rows.
"""

from __future__ import annotations

import csv
import io
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.db import transaction
from django.test import override_settings

from sanbu.catalog import services as catalog
from sanbu.catalog.elements import ElementIndex
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import (
    ConflictState,
    DataElement,
    DataGrade,
    ElementConflict,
    Masking,
    Resource,
    ResourceFormat,
    ResourceState,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from sanbu.core import audit
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.identifiers import make_citizen_id, make_uscc
from sanbu.orgs.models import Department, Jurisdiction, Profile, Role, RoleAssignment, RoleScope
from sanbu.orgs.selectors import actor_for_user
from sanbu.orgs.services import department_create, user_create

DEMO_PASSWORD = "sanbu-demo-2026"
CITY = "370300"
SEED = 20260101


# --- departments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeptSpec:
    key: str  # username prefix: gaj → gaj_steward
    name: str
    short: str
    system: str  # the information system its resources come from
    jurisdiction: str = CITY
    authority: str = "11"  # 11 机关, 12 事业单位
    resources: str = ""


DEPARTMENTS: list[DeptSpec] = [
    DeptSpec("dsj", "淄博市大数据局", "大数据", "淄博市一体化大数据平台", resources="""
        电子证照目录信息 | S | 1/电子证照 | 指标名称:C50=证照类型数、已制发证照数、证照调用次数 | published
        政务信息系统目录 | R | 3 | 系统编号:C20# 系统名称:C100 建设单位:C100 上线日期:D 运行状态:C10=在用、停用、在建
        公共数据开放目录 | R | 3 | 目录编号:C20# 数据集名称:C100 提供部门:C100=淄博市市场监督管理局、淄博市交通运输局、淄博市生态环境局 开放类型:C10=无条件开放、有条件开放 | published
        数据共享申请统计信息 | S | 3 | 指标名称:C50=共享申请数、已批准申请数、接口调用次数
        一网通办用户信息 | P | 2/公共服务 | 实名认证等级:C10=一级、二级、三级 注册日期:D
        12345政务服务热线工单信息 | R | 2/公共服务 | 工单编号:C20# 诉求类型:C10=咨询、投诉、求助、建议 诉求内容:M=小区供暖不热、道路积水、噪音扰民、公交线路调整建议 承办单位:C100=张店区人民政府、淄博市住房和城乡建设局、淄博市交通运输局 办结日期:D
        城市运行监测指标信息 | S | 2/公共服务 | 指标名称:C50=供水量、用电量、公交客运量、空气质量优良天数 | published api
        政务云资源使用信息 | R | 3 | 云主机编号:C20# 使用单位:C100=淄博市公安局、淄博市教育局、淄博市卫生健康委员会 CPU核数:I 内存容量:I 开通日期:D
        政务数据共享调用日志 | R | 3 | 日志编号:C30# 调用部门:C100=淄博市人力资源和社会保障局、淄博市民政局、淄博市行政审批服务局 调用接口:C100=人口基础信息核验、营业执照信息查询、不动产登记信息查询 调用时间:T
        视频监控资源目录信息 | O | 2/应急维稳 | 点位编号:C20# 点位名称:C100 建设单位:C100=淄博市公安局、淄博市交通运输局、淄博市应急管理局
    """),
    DeptSpec("gaj", "淄博市公安局", "公安", "公安人口管理信息系统", resources="""
        户籍人口基本信息 | P! | 1/人口 | @户籍地址! @民族! 户号:C20 与户主关系:C10=户主、配偶、子女、父母、兄弟姐妹 | published core
        居民身份证办理信息 | P | 1/人口 | 证件签发日期:D @有效期截止日期 签发机关:C100=淄博市公安局张店分局、淄博市公安局淄川分局、淄博市公安局临淄分局 办理类型:C10=首次申领、换领、补领 | published api
        流动人口居住登记信息 | P | 3 | 居住证编号:C30 登记日期:D 居住事由:C20=务工、经商、就学、投靠亲友、其他
        居住证签发信息 | P | 3 | 居住证编号:C30 签发日期:D @有效期截止日期
        机动车驾驶人信息 | P | 3 | 准驾车型:C10=C1、C2、A1、A2、B1、B2 初次领证日期:D 驾驶证状态:C10=正常、超分、注销 | published
        机动车登记信息 | R | 3 | 号牌号码:C10# 车辆类型:C20=小型轿车、小型普通客车、轻型货车、重型货车 品牌型号:C50=比亚迪秦PLUS、大众朗逸、丰田卡罗拉、解放J6P 注册登记日期:D 使用性质:C10=非营运、营运
        出入境证件签发信息 | P | 3 | 证件类型:C20=护照、往来港澳通行证、往来台湾通行证 出入境证件号码:C20 签发日期:D
        户籍迁移信息 | P | 1/人口 | 迁移类型:C10=迁入、迁出 迁移日期:D 迁出地址:C200
        出生登记信息 | P | 1/人口 | 出生医学证明编号:C20 父亲姓名:C50 母亲姓名:C50 登记日期:D | published
        死亡注销户口信息 | P | 1/人口 | @死亡日期 注销日期:D
        无犯罪记录证明开具信息 | P | 1/电子证照 | 证明编号:C30 开具日期:D 用途:C50=就业、出国、入学、其他 | published api
        旅馆业住宿登记信息 | P | 3 | 旅馆名称:C100 入住时间:T 退房时间:T
        犬只登记信息 | P | 3 | 犬只登记证号:C20 犬只品种:C20=中华田园犬、泰迪、金毛、柯基、柴犬 免疫日期:D
        交通事故统计信息 | S | 3 | 指标名称:C50=事故起数、死亡人数、受伤人数、直接财产损失
        治安案件统计信息 | S | 3 | 指标名称:C50=受理案件数、查处案件数、处罚人数
    """),
    DeptSpec("scjgj", "淄博市市场监督管理局", "市场监管", "市场主体登记注册系统", resources="""
        市场主体登记信息 | E! | 1/法人单位 | @注册资本! @成立日期! @经营范围! @登记机关! @企业类型! @登记状态! | published core
        个体工商户登记信息 | E | 1/法人单位 | @成立日期 @经营范围 组成形式:C10=个人经营、家庭经营 | published
        营业执照信息 | LE | 1/电子证照 | | published api
        食品经营许可证信息 | LE | 2/食品药品安全 | 经营项目:C200=预包装食品销售、散装食品销售、热食类食品制售、冷食类食品制售 | published
        市场监管行政处罚信息 | E | 1/社会信用 | 处罚决定书文号:C50 违法行为类型:C100=虚假宣传、无照经营、销售不合格产品、价格违法 处罚内容:C200=警告、罚款、没收违法所得 处罚决定日期:D | published
        经营异常名录信息 | E | 1/社会信用 | 列入日期:D 列入原因:C100=通过登记的住所无法联系、未按规定公示年度报告、公示信息隐瞒真实情况
        企业年度报告信息 | E | 3 | 报告年度:I 从业人数:I 营业总收入:Y
        药品零售企业信息 | E | 2/食品药品安全 | 经营方式:C20=零售、零售连锁 执业药师人数:I
        商标质押登记信息 | E | 3 | 商标注册号:C20 质押金额:Y 登记日期:D
        消费投诉举报信息 | R | 2/公共服务 | 投诉编号:C30# 被投诉人名称:C200 投诉类型:C20=质量问题、价格争议、虚假宣传 受理日期:D
        特种设备使用登记信息 | R | 2/安全生产 | 设备注册代码:C30# 设备类别:C30=锅炉、压力容器、电梯、起重机械、场（厂）内专用机动车辆 使用单位名称:C200 下次检验日期:D
        计量器具强制检定信息 | R | 3 | 检定证书编号:C30# 器具名称:C50=燃油加油机、电子计价秤、血压计、出租汽车计价器 检定结论:C10=合格、不合格 检定日期:D
        市场主体注销登记信息 | E | 3 | 注销日期:D 注销原因:C50=决议解散、依法被吊销营业执照、其他原因
        食品安全抽检信息 | R | 2/食品药品安全 | 抽检编号:C30# 食品名称:C50=小麦粉、食用植物油、猪肉、鸡蛋、白酒 被抽检单位名称:C200 检验结论:C10=合格、不合格 抽样日期:D
    """),
    DeptSpec("mzj", "淄博市民政局", "民政", "民政综合业务信息系统", resources="""
        婚姻登记信息 | P | 1/人口 | @婚姻状况! 登记类型:C10=结婚登记、离婚登记、补领证件 配偶姓名:C50 配偶公民身份号码:C18 登记日期:D | published
        殡葬火化信息 | P | 1/人口 | @死亡日期! 火化日期:D 殡仪馆名称:C100=淄博市殡仪馆、沂源县殡仪馆、桓台县殡仪馆 | published
        最低生活保障对象信息 | P | 2/社会保障 | 保障类别:C10=城市低保、农村低保 保障人口数:I 月保障金额:Y | published
        特困人员供养信息 | P | 2/社会保障 | 供养方式:C10=分散供养、集中供养 认定日期:D
        孤儿和事实无人抚养儿童信息 | P | 2/社会保障 | 儿童类别:C20=孤儿、事实无人抚养儿童 基本生活费:Y
        经济困难老年人补贴信息 | P | 2/社会保障 | 补贴类型:C20=服务补贴、护理补贴 补贴金额:Y
        养老服务机构信息 | O | 2/公共服务 | 机构名称:C200# 床位数:I 联系人:C50 | published
        社会组织登记信息 | E | 1/法人单位 | 社会组织类型:C20=社会团体、民办非企业单位、基金会 业务主管单位:C100=淄博市教育局、淄博市民政局、淄博市卫生健康委员会
        慈善组织认定信息 | E | 3 | 认定日期:D 公开募捐资格:L
        残疾人两项补贴发放信息 | P | 2/社会保障 | 补贴类型:C20=困难残疾人生活补贴、重度残疾人护理补贴 发放金额:Y 发放年月:C7
        地名信息 | O | 1/自然资源和空间地理 | 标准地名:C100# 地名类别:C20=道路街巷、住宅区、桥梁、公园广场
        临时救助信息 | P | 3 | 救助类型:C10=急难型、支出型 救助金额:Y 救助日期:D
        行政区划变更信息 | S | 3 | 指标名称:C50=乡镇数、街道数、村委会数、居委会数
    """),
    DeptSpec("rsj", "淄博市人力资源和社会保障局", "人社", "人社一体化公共服务平台", resources="""
        社会保险参保人员信息 | P! | 2/社会保障 | @户籍地址 参保险种:C30=企业职工基本养老保险、工伤保险、失业保险 参保状态:C10=参保缴费、暂停缴费、终止参保 参保日期:D | published api
        养老保险待遇发放信息 | P | 2/社会保障 | 待遇类型:C20=基本养老金、丧葬补助金 发放金额:Y 发放年月:C7 | published
        失业保险金领取信息 | P | 2/社会保障 | 领取月数:I 月领取金额:Y 开始领取日期:D
        工伤认定信息 | P | 3 | 用人单位名称:C200 受伤日期:D 认定结论:C20=认定为工伤、不予认定 | published
        就业登记信息 | P | 3 | 就业单位名称:C200 就业形式:C20=单位就业、灵活就业、自主创业 登记日期:D
        创业担保贷款信息 | P | 2/社会保障 | 贷款金额:Y 放款日期:D 贴息金额:Y
        专业技术人员职称信息 | P | 3 | 职称名称:C50=高级工程师、工程师、助理工程师、高级教师 取得日期:D
        技工院校学生信息 | P | 3 | 院校名称:C100=淄博市技师学院、淄博市工业学校、山东工业技师学院 专业名称:C50=数控技术、电气自动化、汽车维修、护理 入学日期:D
        职业资格证书信息 | LP | 1/电子证照 | 职业名称:C50=电工、焊工、育婴员、保育员、养老护理员 | published
        职业技能等级证书信息 | LP | 1/电子证照 | 技能等级:C10=五级、四级、三级、二级、一级
        社会保险参保单位信息 | E | 2/社会保障 | 参保人数:I 单位参保日期:D | published
        劳动保障监察案件信息 | R | 3 | 案件编号:C20# 被投诉单位名称:C200 案由:C50=拖欠工资、未签订劳动合同、未缴纳社会保险 立案日期:D
        人力资源服务许可信息 | LE | 3 |
    """),
    DeptSpec("wjw", "淄博市卫生健康委员会", "卫生健康", "全民健康信息平台", resources="""
        出生医学证明信息 | P | 2/健康保障 | @民族 出生医学证明编号:C20 出生地点:C100 母亲姓名:C50 签发日期:D | published
        死亡医学证明信息 | P | 2/健康保障 | @死亡日期! 死亡原因:C100=心脑血管疾病、恶性肿瘤、呼吸系统疾病、意外伤害 填报单位:C100=淄博市中心医院、淄博市第一医院、沂源县人民医院
        医疗机构执业许可证信息 | LE | 1/电子证照 | 诊疗科目:C200=内科、外科、妇产科、儿科、中医科 | published
        医师执业注册信息 | LP | 1/电子证照 | 执业类别:C20=临床、中医、口腔、公共卫生 执业范围:C50=内科专业、外科专业、儿科专业、全科医学专业 | published
        护士执业注册信息 | LP | 1/电子证照 | 执业地点:C100
        母婴保健技术服务执业许可信息 | LE | 3 | 服务项目:C50=助产技术、结扎手术、终止妊娠手术
        预防接种信息 | P | 2/健康保障 | 疫苗名称:C50=乙肝疫苗、卡介苗、脊灰疫苗、百白破疫苗、麻腮风疫苗 接种剂次:I 接种日期:D 接种单位:C100=张店区马尚街道社区卫生服务中心、淄川区般阳路街道社区卫生服务中心、临淄区妇幼保健院
        家庭医生签约服务信息 | P | 2/健康保障 | 签约团队:C100=马尚街道家庭医生团队、般阳路街道家庭医生团队、辛店街道家庭医生团队 签约日期:D 服务包类型:C20=基础包、慢病包、老年人包
        计划生育特别扶助信息 | P | 2/社会保障 | 扶助类别:C20=独生子女伤残、独生子女死亡 扶助金额:Y
        精神障碍患者诊疗信息 | P | 3 | 诊断名称:C100=精神分裂症、双相情感障碍、偏执性精神病 诊断日期:D 管理状态:C10=在管、失访、死亡
        二级以上医院床位使用信息 | O | 2/健康保障 | 医院名称:C100# 核定床位数:I 实际开放床位数:I | published api
        卫生健康行政处罚信息 | E | 1/社会信用 | 处罚决定书文号:C50 处罚事由:C200=未取得医疗机构执业许可证擅自执业、使用非卫生技术人员从事医疗卫生技术工作 处罚日期:D
        医疗卫生机构统计信息 | S | 3 | 指标名称:C50=医疗机构数、床位数、执业医师数、注册护士数 | published
    """),
    DeptSpec("zrzyj", "淄博市自然资源和规划局", "自然资源", "自然资源一张图系统", resources="""
        不动产登记信息 | R | 1/自然资源和空间地理 | 不动产单元号:C28# 权利人名称:C200 坐落:C200 面积:N 用途:C20=住宅、商业、工业、办公 登记日期:D | published api
        国有建设用地使用权出让信息 | R | 1/自然资源和空间地理 | 宗地编号:C30# 受让人名称:C200 出让面积:N 出让价款:Y 签约日期:D
        地籍调查信息 | R | 3 | 宗地代码:C19# 宗地面积:N 土地用途:C20=住宅用地、商服用地、工业用地
        建设用地规划许可证信息 | LE | 1/电子证照 | 用地位置:C200 用地面积:N | published
        建设工程规划许可证信息 | LE | 1/电子证照 | 建设项目名称:C200 建设规模:N
        土地利用现状统计信息 | S | 1/自然资源和空间地理 | 指标名称:C50=耕地面积、园地面积、林地面积、建设用地面积 | published
        采矿许可证信息 | LE | 3 | 矿种:C20=石灰岩、铝土矿、耐火黏土、煤 有效期起始日期:D
        测绘资质信息 | LE | 3 | 资质等级:C10=甲级、乙级
        地质灾害隐患点信息 | O | 2/应急维稳 | 隐患点编号:C20# 灾害类型:C20=崩塌、滑坡、泥石流、地面塌陷 威胁人数:I
        基础测绘成果目录信息 | R | 1/自然资源和空间地理 | 成果编号:C30# 成果名称:C100=1:500地形图、数字正射影像图、数字高程模型 比例尺:C20=1:500、1:2000、1:10000 完成日期:D
        永久基本农田保护统计信息 | S | 3 | 指标名称:C50=保护面积、划定地块数、补划面积
    """),
    DeptSpec("zjj", "淄博市住房和城乡建设局", "住房城乡建设", "住房城乡建设综合监管平台", resources="""
        住房保障申请信息 | P | 2/城乡建设 | @婚姻状况 家庭人口数:I 保障方式:C20=公租房实物配租、租赁补贴 申请日期:D | published
        建筑业企业资质信息 | LE | 2/城乡建设 | 资质类别及等级:C100=建筑工程施工总承包二级、市政公用工程施工总承包三级、建筑装修装饰工程专业承包二级 | published
        商品房预售许可信息 | LE | 2/城乡建设 | 项目名称:C200 预售面积:N
        房屋网签备案信息 | R | 3 | 合同编号:C30# 房屋坐落:C200 建筑面积:N 合同金额:Y 备案日期:D
        房屋安全鉴定信息 | R | 3 | 鉴定编号:C30# 房屋坐落:C200 鉴定等级:C5=A级、B级、C级、D级 鉴定日期:D
        建筑工程施工许可信息 | LE | 2/城乡建设 | 工程名称:C200 合同价格:Y | published
        物业服务企业信息 | E | 3 | 在管项目数:I 在管面积:N
        城镇老旧小区改造项目信息 | O | 2/城乡建设 | 小区名称:C100# 涉及户数:I 改造内容:C200=屋面防水、外墙保温、管网改造、加装电梯 | published
        注册建造师信息 | LP | 1/电子证照 | 注册专业:C20=建筑工程、市政公用工程、机电工程
        公共租赁住房分配信息 | P | 2/城乡建设 | 房源地址:C200 租金标准:Y 配租日期:D
        住房公积金缴存信息 | P | 2/社会保障 | 缴存单位名称:C200 月缴存额:Y 缴存状态:C10=正常、封存 | published
    """),
    DeptSpec("jyj", "淄博市教育局", "教育", "教育管理公共服务平台", resources="""
        中小学学生学籍信息 | P | 3 | @民族 @户籍地址 全国学籍号:C19 就读学校:C100=淄博市实验小学、张店区第二中学、淄川区般阳中学、临淄区雪宫中学 年级:C10=一年级、二年级、三年级、四年级、五年级、六年级 入学日期:D | published
        教师资格证信息 | LP | 1/电子证照 | 资格种类:C20=小学、初级中学、高级中学、幼儿园 任教学科:C20=语文、数学、英语、物理、化学 | published
        学校基本信息 | O | 2/公共服务 | 学校名称:C100# 办学类型:C20=小学、初级中学、高级中学、九年一贯制学校 在校生数:I 教职工数:I | published
        幼儿园基本信息 | O | 2/公共服务 | 幼儿园名称:C100# 办园性质:C10=公办、民办普惠、民办 在园幼儿数:I
        民办学校办学许可证信息 | LE | 3 | 办学层次:C20=学前教育、义务教育、高中教育
        学生资助信息 | P | 2/社会保障 | 资助项目:C50=国家助学金、生活费补助、免学费 资助金额:Y 资助学年:C9
        中考成绩信息 | P | 3 | 准考证号:C20 总成绩:N 考试年度:I
        高校毕业生就业信息 | P | 3 | 毕业院校:C100=山东理工大学、淄博职业学院、山东工业职业学院 学历层次:C10=专科、本科、硕士、博士 就业状态:C10=已就业、待就业、升学
        校外培训机构信息 | E | 3 | 培训类别:C20=体育类、文化艺术类、科技类 办学地址:C200
        教育事业统计信息 | S | 3 | 指标名称:C50=学校数、在校生数、专任教师数、毕业生数 | published
    """),
    DeptSpec("czj", "淄博市财政局", "财政", "预算管理一体化系统", resources="""
        财政预算执行信息 | S | 3 | 指标名称:C50=一般公共预算收入、一般公共预算支出、政府性基金收入 | published
        政府采购项目信息 | R | 3 | 采购项目编号:C30# 采购单位:C100 采购方式:C20=公开招标、竞争性谈判、询价、单一来源 预算金额:Y 公告日期:D | published api
        政府购买服务项目信息 | R | 2/公共服务 | 项目编号:C30# 购买主体:C100=淄博市民政局、淄博市教育局、淄博市卫生健康委员会 承接单位名称:C200 合同金额:Y
        财政专项资金分配信息 | R | 3 | 资金文号:C30# 资金名称:C100=城乡义务教育补助经费、基本公共卫生服务补助资金、农业生产发展资金 分配金额:Y 下达日期:D
        惠民惠农财政补贴资金发放信息 | P | 2/社会保障 | 补贴项目:C50=耕地地力保护补贴、农机购置补贴、困难群众救助 补贴金额:Y 发放日期:D
        行政事业单位国有资产信息 | R | 3 | 资产编号:C30# 资产名称:C100=办公用房、公务用车、服务器、空调 资产类别:C20=房屋、车辆、通用设备 原值:Y 取得日期:D
        政府债务信息 | S | 3 | 指标名称:C50=一般债务余额、专项债务余额、债务限额
        政府采购代理机构信息 | E | 3 | 代理机构类别:C20=社会代理机构、集中采购机构
        非税收入收缴信息 | R | 3 | 缴款书编号:C30# 执收单位:C100=淄博市自然资源和规划局、淄博市公安局、淄博市市场监督管理局 收入项目:C50=行政事业性收费、罚没收入、国有资源有偿使用收入 金额:Y 缴款日期:D
    """),
    DeptSpec("fgw", "淄博市发展和改革委员会", "发展改革", "淄博市公共信用信息平台", resources="""
        公共信用综合评价信息 | E | 1/社会信用 | 评价等级:C10=A、B、C、D 评价日期:D | published
        守信激励对象名单信息 | E | 2/信用体系 | 列入依据:C200=纳税信用A级、海关高级认证企业、劳动保障守法诚信A级 列入日期:D | published
        失信惩戒对象名单信息 | E | 2/信用体系 | 失信类型:C50=拖欠农民工工资、严重违法失信、失信被执行人 列入日期:D | published api
        信用修复信息 | E | 2/信用体系 | 修复事项:C200=行政处罚信息信用修复、经营异常名录移出 修复日期:D
        信用承诺信息 | E | 2/信用体系 | 承诺事项:C200=告知承诺制审批、信用修复承诺、主动型承诺 承诺日期:D
        固定资产投资项目审批核准备案信息 | R | 3 | 项目代码:C24# 项目名称:C200 建设地点:C200 总投资:Y 备案日期:D
        价格监测信息 | S | 2/价格监管 | 指标名称:C50=猪肉零售价格、鸡蛋零售价格、蔬菜零售价格、成品油价格 | published
        重点项目建设进展信息 | R | 3 | 项目编号:C20# 项目名称:C200 年度计划投资:Y 完成投资:Y
        粮食储备信息 | O | 2/能源安全 | 储备库名称:C100# 储备品种:C10=小麦、玉米、稻谷 储备数量:N
        能源消费统计信息 | S | 2/能源安全 | 指标名称:C50=能源消费总量、万元GDP能耗、原煤消费量
    """),
    DeptSpec("spj", "淄博市行政审批服务局", "行政审批", "政务服务一体化平台", resources="""
        企业设立登记受理信息 | E! | 1/法人单位 | @企业类型 受理日期:D 受理窗口:C50=综合受理窗口、企业开办专区、帮办代办窗口 | published
        食品生产许可证信息 | LE | 2/食品药品安全 | 食品类别:C50=粮食加工品、食用油、肉制品、乳制品、饮料 | published
        药品经营许可证信息 | LE | 2/食品药品安全 | 经营范围类别:C50=中药饮片、化学药制剂、生物制品
        建设项目环境影响评价审批信息 | R | 2/生态环保 | 审批文号:C30# 建设项目名称:C200 审批日期:D
        道路运输经营许可证信息 | LE | 3 | 经营范围类别:C50=普通货运、道路旅客运输、危险货物运输 | published
        政务服务事项办件信息 | R | 2/公共服务 | 办件编号:C30# 事项名称:C100=企业开办、不动产登记、社保卡申领、施工许可 申请人名称:C200 受理日期:D 办结日期:D 办理结果:C10=准予许可、不予许可 | published api
        危险化学品经营许可证信息 | LE | 2/安全生产 | 经营方式:C20=带储存经营、不带储存经营
        出版物经营许可证信息 | LE | 3 |
        社会团体成立登记审批信息 | R | 3 | 审批编号:C30# 社会团体名称:C100 审批日期:D
        水利工程建设审批信息 | R | 3 | 审批编号:C30# 工程名称:C200 审批结果:C10=准予许可、不予许可
        政务服务好差评信息 | R | 2/公共服务 | 评价编号:C30# 评价等级:C10=非常满意、满意、基本满意、不满意 评价日期:D
    """),
    DeptSpec("swj", "国家税务总局淄博市税务局", "税务", "金税工程系统", resources="""
        纳税人登记信息 | E! | 1/法人单位 | @注册资本 @经营范围 @登记状态 纳税人类型:C20=一般纳税人、小规模纳税人 | published
        纳税信用等级信息 | E | 2/信用体系 | 纳税信用级别:C1=A、B、M、C、D 评价年度:I | published api
        欠税公告信息 | E | 1/社会信用 | 欠税税种:C20=增值税、企业所得税、城镇土地使用税 欠税余额:Y
        个人所得税纳税记录 | P | 3 | 所属期:C7 收入额:Y 已缴税额:Y
        发票领用信息 | E | 3 | 发票种类:C20=增值税专用发票、增值税普通发票、电子发票 领用数量:I
        增值税留抵退税信息 | E | 3 | 退税金额:Y 退税日期:D
        出口退税信息 | E | 3 | 出口退税额:Y 所属期:C7
        重大税收违法失信案件信息 | E | 1/社会信用 | 案件性质:C50=虚开增值税专用发票、逃避缴纳税款 公布日期:D | published
        税收收入统计信息 | S | 3 | 指标名称:C50=税收收入、增值税、企业所得税、个人所得税
        社会保险费征缴信息 | E | 2/社会保障 | 费款所属期:C7 应缴金额:Y 实缴金额:Y
    """),
    DeptSpec("sthjj", "淄博市生态环境局", "生态环境", "生态环境监测监控平台", resources="""
        排污许可证信息 | LE | 2/生态环保 | 行业类别:C50=火力发电、水泥制造、化学原料制造、陶瓷制品制造 | published
        环境空气质量监测信息 | O | 2/生态环保 | 监测站点名称:C50# 空气质量指数:I 首要污染物:C10=PM2.5、PM10、臭氧、二氧化氮 | published api
        生态环境行政处罚信息 | E | 1/社会信用 | 处罚决定书文号:C50 违法类型:C50=超标排放、未批先建、危险废物违法处置 罚款金额:Y
        重点排污单位名录信息 | E | 2/生态环保 | 重点类别:C20=水环境、大气环境、土壤环境 | published
        建设项目环评文件信息 | R | 3 | 环评文件编号:C30# 建设项目名称:C200 文件类型:C10=报告书、报告表
        机动车排放检验信息 | R | 2/生态环保 | 检验报告编号:C30# 车牌号码:C10 检验结论:C10=合格、不合格 检验日期:D
        地表水水质监测信息 | O | 2/生态环保 | 断面名称:C50# 水质类别:C5=Ⅰ类、Ⅱ类、Ⅲ类、Ⅳ类、Ⅴ类 监测日期:D
        危险废物经营许可证信息 | LE | 3 | 经营规模:N 核准经营类别:C100=HW08废矿物油、HW49其他废物、HW17表面处理废物
        辐射安全许可证信息 | LE | 3 | 许可种类:C50=使用Ⅲ类射线装置、使用Ⅴ类放射源
        企业环境信用评价信息 | E | 2/信用体系 | 信用等级:C10=环保诚信、环保良好、环保警示、环保不良
    """),
    DeptSpec("jtysj", "淄博市交通运输局", "交通运输", "交通运输综合管理平台", resources="""
        道路运输从业人员资格证信息 | LP | 1/电子证照 | 从业资格类别:C50=道路旅客运输驾驶员、道路货物运输驾驶员 | published
        道路运输车辆营运证信息 | R | 3 | 营运证号:C20# 车牌号码:C10 车辆类型:C20=普通货车、客车、危险品运输车 核发日期:D
        出租汽车驾驶员信息 | P | 3 | 联系电话:C11 服务单位:C100 从业资格证号:C30 | published
        公路路网信息 | O | 1/自然资源和空间地理 | 路线编号:C10# 路线名称:C50=济青高速、滨博高速、G205国道、S102省道 技术等级:C10=高速、一级、二级、三级 里程:N
        公交线路站点信息 | O | 2/公共服务 | 站点编号:C20# 站点名称:C50 途经线路:C100=1路、2路、15路、K1路、BRT1路 | published
        交通运输行政处罚信息 | E | 1/社会信用 | 处罚决定书文号:C50 违法行为:C100=超限运输、无证经营、未按规定维护车辆 处罚日期:D
        机动车维修经营备案信息 | E | 3 | 维修类别:C20=一类维修、二类维修、三类维修
        机动车驾驶员培训机构信息 | E | 2/公共服务 | 教练车数量:I 培训车型:C20=C1、C2、A2、B2
        网络预约出租汽车经营许可信息 | LE | 3 | 服务区域:C100=淄博市全市、张店区、淄川区
        超限超载检测信息 | R | 3 | 检测单号:C30# 车牌号码:C10 超限率:N 检测日期:D
    """),
    DeptSpec("yjj", "淄博市应急管理局", "应急管理", "应急管理综合应用平台", resources="""
        安全生产许可证信息 | LE | 2/安全生产 | 许可范围:C100=非煤矿山开采、危险化学品生产、烟花爆竹生产 | published
        危险化学品企业信息 | E | 2/安全生产 | 重大危险源数量:I 安全风险等级:C10=重大、较大、一般、低 | published
        安全生产标准化企业信息 | E | 2/安全生产 | 标准化等级:C10=一级、二级、三级
        应急救援队伍信息 | O | 2/应急维稳 | 队伍名称:C100# 队伍类型:C20=综合救援、危化救援、矿山救援、森林灭火 队员人数:I
        应急物资储备信息 | O | 2/应急维稳 | 储备库名称:C100# 物资种类:C50=帐篷、折叠床、棉被、救生衣 储备数量:I | published
        森林防火重点区域信息 | O | 2/应急维稳 | 区域名称:C100# 面积:N 风险等级:C10=高、中、低
        生产安全事故信息 | R | 2/安全生产 | 事故编号:C20# 事故类型:C20=物体打击、车辆伤害、高处坠落、火灾 死亡人数:I 发生日期:D
        安全生产行政处罚信息 | E | 1/社会信用 | 处罚决定书文号:C50 处罚事由:C200=未按规定开展安全培训、重大事故隐患未及时整改 处罚日期:D
        特种作业操作证信息 | LP | 1/电子证照 | 作业类别:C20=电工作业、焊接与热切割作业、高处作业
        自然灾害灾情统计信息 | S | 2/应急维稳 | 指标名称:C50=受灾人口、紧急转移安置人口、农作物受灾面积、直接经济损失 | published
    """),
    DeptSpec("nyncj", "淄博市农业农村局", "农业农村", "农业农村综合信息平台", resources="""
        农村土地承包经营权信息 | P | 1/自然资源和空间地理 | 承包合同编号:C30 承包地块数:I 承包面积:N | published
        耕地地力保护补贴信息 | P | 2/社会保障 | 补贴面积:N 补贴金额:Y | published
        农民专业合作社信息 | E | 1/法人单位 | 成员数:I 主营产品:C50=小麦、玉米、蔬菜、果品、畜禽
        家庭农场名录信息 | E | 3 | 经营面积:N 经营类型:C20=种植业、养殖业、种养结合
        农药经营许可证信息 | LE | 2/食品药品安全 | 经营范围类别:C50=农药（不含限制使用农药）、限制使用农药
        种子生产经营许可证信息 | LE | 2/食品药品安全 | 作物种类:C20=小麦、玉米、大豆 | published
        动物防疫条件合格证信息 | LE | 3 | 场所类型:C20=养殖场、屠宰加工场所、无害化处理场所 | published
        渔业捕捞许可证信息 | LP | 3 | 作业类型:C20=刺网、钓具、笼壶
        农机购置补贴信息 | P | 2/社会保障 | 机具品目:C50=拖拉机、联合收割机、播种机 补贴金额:Y 购机日期:D
        农产品质量安全检测信息 | R | 2/食品药品安全 | 检测编号:C30# 产品名称:C50=黄瓜、番茄、苹果、猪肉 检测结果:C10=合格、不合格 检测日期:D | published
        高标准农田建设项目信息 | O | 3 | 项目名称:C100# 建设面积:N 总投资:Y
    """),
    DeptSpec("sfj", "淄博市司法局", "司法行政", "司法行政综合管理平台", resources="""
        律师执业信息 | - | 3 | 身份证号:C18# 姓名:C50 律师执业证号:C20 执业机构:C100=山东齐鲁律师事务所淄博分所、山东众成清泰（淄博）律师事务所、山东舜天律师事务所 执业类别:C10=专职、兼职、公职 | published
        律师事务所信息 | E | 3 | 律师人数:I 组织形式:C20=普通合伙、个人、国资 | published
        公证员执业信息 | LP | 1/电子证照 | 执业机构:C100=淄博市淄博公证处、淄博市张店公证处
        公证机构信息 | E | 3 | 公证员人数:I
        基层法律服务工作者信息 | P | 3 | 执业证号:C20 执业机构:C100=张店区车站法律服务所、淄川区般阳法律服务所
        人民调解案件信息 | R | 3 | 案件编号:C20# 纠纷类型:C20=婚姻家庭、邻里、合同、损害赔偿 调解结果:C10=调解成功、调解不成 受理日期:D
        社区矫正对象信息 | P | 3 | 矫正类别:C10=管制、缓刑、假释、暂予监外执行 矫正起始日期:D
        法律援助案件信息 | R | 2/公共服务 | 案件编号:C20# 案件类型:C10=民事、刑事、行政 受援人姓名:C50 受理日期:D | published
        司法鉴定机构信息 | E | 3 | 鉴定业务范围:C100=法医临床鉴定、法医病理鉴定、文书鉴定
        行政复议案件信息 | R | 3 | 案件编号:C20# 被申请人:C100=张店区人民政府、淄博市市场监督管理局、淄博市自然资源和规划局 复议结果:C10=维持、撤销、确认违法、驳回 受理日期:D
    """),
    DeptSpec("ybj", "淄博市医疗保障局", "医疗保障", "医疗保障信息平台", resources="""
        基本医疗保险参保信息 | P | 2/健康保障 | 险种类型:C20=职工基本医疗保险、城乡居民基本医疗保险 参保日期:D | published api
        医保定点医药机构信息 | E | 2/健康保障 | 机构类别:C20=定点医疗机构、定点零售药店 协议期限:D | published
        医疗保险待遇结算信息 | P | 2/健康保障 | 结算编号:C30 医疗费用总额:Y 统筹基金支付:Y 结算日期:D
        异地就医备案信息 | P | 2/健康保障 | 备案类型:C20=异地长期居住、常驻异地工作、异地转诊 就医地:C50=济南市、北京市、上海市、青岛市 备案日期:D | published
        门诊慢特病认定信息 | P | 2/健康保障 | 病种名称:C50=高血压、糖尿病、冠心病、慢性肾功能衰竭 认定日期:D
        医疗救助信息 | P | 2/社会保障 | 救助类别:C20=住院救助、门诊救助 救助金额:Y | published
        医保基金监管处罚信息 | E | 1/社会信用 | 违规类型:C50=串换药品、虚记费用、超标准收费 追回金额:Y
        长期护理保险待遇信息 | P | 2/健康保障 | 护理等级:C10=一级、二级、三级 待遇标准:Y
        医保药品目录信息 | R | 3 | 药品编码:C30# 药品名称:C100=阿莫西林胶囊、布洛芬缓释胶囊、二甲双胍片 医保类别:C5=甲类、乙类
        药品集中带量采购信息 | R | 3 | 采购批次:C20# 药品名称:C50=阿托伐他汀钙片、氨氯地平片、二甲双胍片 中选价格:Y
    """),
    DeptSpec("tyjrj", "淄博市退役军人事务局", "退役军人事务", "退役军人信息管理系统", resources="""
        退役军人基本信息 | P | 3 | 入伍日期:D 退役日期:D 安置方式:C20=安排工作、自主就业、退休、供养 | published
        退役军人优待证信息 | LP | 1/电子证照 |
        优抚对象信息 | P | 2/社会保障 | 优抚类别:C20=残疾军人、烈士遗属、在乡复员军人 抚恤金额:Y
        退役军人就业创业信息 | P | 3 | 就业单位名称:C200 就业日期:D
        军休干部信息 | P | 3 | 安置日期:D 军休所名称:C100=淄博市第一军队离退休干部休养所、淄博市第二军队离退休干部休养所
        光荣牌悬挂信息 | P | 3 | 悬挂日期:D 悬挂地址:C200
        烈士纪念设施信息 | O | 2/公共服务 | 设施名称:C100# 保护级别:C10=国家级、省级、市级、县级 | published
        退役军人服务站信息 | O | 2/公共服务 | 服务站名称:C100# 负责人:C50
    """),
    DeptSpec("sjj", "淄博市审计局", "审计", "审计管理系统", resources="""
        审计项目计划信息 | R | 3 | 审计项目编号:C20# 被审计单位:C100=淄博市教育局、淄博市交通运输局、淄博市医疗保障局 审计类型:C20=预算执行审计、经济责任审计、专项审计 计划年度:I
        审计整改情况信息 | R | 3 | 整改事项编号:C20# 问题类型:C50=预算管理、资产管理、工程建设 整改状态:C10=已整改、整改中
        经济责任审计结果信息 | R | 3 | 审计报告编号:C30# 被审计领导干部职务:C50=局长、副局长、主任 审计日期:D
    """),
    DeptSpec("yy_dsj", "沂源县大数据中心", "沂源大数据", "沂源县政务数据共享交换平台", jurisdiction="370323",
             authority="12", resources="""
        沂源县政务服务办件信息 | R | 2/公共服务 | 办件编号:C30# 事项名称:C100=企业开办、社保卡申领、不动产登记 受理日期:D | published
        沂源县公共数据开放目录 | R | 3 | 目录编号:C20# 数据集名称:C100 提供部门:C100=沂源县农业农村局、沂源县文化和旅游局
        沂源县网格化管理事件信息 | R | 2/社区治理 | 事件编号:C20# 事件类型:C20=环境卫生、矛盾纠纷、安全隐患 上报日期:D
        沂源县人口基础信息 | P | 1/人口 | 所在乡镇:C50=历山街道、南麻街道、鲁村镇、东里镇、燕崖镇
        沂源县法人基础信息 | E | 1/法人单位 | @成立日期
        沂源县公共服务设施信息 | O | 2/公共服务 | 设施名称:C100# 设施类型:C20=便民服务中心、文化广场、卫生室
        沂源县农村产权交易信息 | R | 3 | 交易编号:C30# 交易标的:C100=集体林地经营权、农村土地经营权、集体建设用地使用权 成交金额:Y 成交日期:D
    """),
    DeptSpec("zd_gaj", "淄博市公安局张店分局", "张店公安", "张店区人口管理系统", jurisdiction="370303",
             resources="""
        张店区户籍人口信息 | P! | 1/人口 | 所属派出所:C50=车站派出所、公园派出所、和平派出所、马尚派出所 | published
        张店区流动人口信息 | P | 3 | 居住地址:C200 登记日期:D
        张店区犬只登记信息 | P | 3 | 犬只登记证号:C20 犬只品种:C20=中华田园犬、泰迪、金毛
        张店区治安案件统计信息 | S | 3 | 指标名称:C50=受理案件数、查处案件数
    """),
    DeptSpec("zd_dsj", "张店区大数据中心", "张店大数据", "张店区城市大脑平台", jurisdiction="370303",
             authority="12", resources="""
        张店区政务服务办件信息 | R | 2/公共服务 | 办件编号:C30# 事项名称:C100=企业开办、施工许可、社保卡申领 受理日期:D | published
        张店区城市网格事件信息 | R | 2/社区治理 | 事件编号:C20# 事件类型:C20=占道经营、环境卫生、安全隐患 处置状态:C10=已处置、处置中
        张店区12345热线诉求信息 | R | 2/社区治理 | 工单编号:C20# 诉求类型:C10=咨询、投诉、求助 办结日期:D
        张店区社区服务设施信息 | O | 2/社区治理 | 设施名称:C100# 设施类型:C20=社区服务中心、日间照料中心、社区卫生服务站 | published
    """),
    DeptSpec("lz_spj", "临淄区行政审批服务局", "临淄审批", "临淄区政务服务平台", jurisdiction="370305",
             resources="""
        临淄区营业执照发放信息 | LE | 3 | | published
        临淄区食品经营许可证信息 | LE | 2/食品药品安全 |
        临淄区危险化学品经营许可证信息 | LE | 2/安全生产 |
        临淄区建设项目审批信息 | R | 3 | 项目编号:C24# 项目名称:C200 审批事项:C50=立项、用地、规划、施工
    """),
    DeptSpec("bs_mzj", "博山区民政局", "博山民政", "博山区民政业务系统", jurisdiction="370304", resources="""
        博山区低保对象信息 | P | 2/社会保障 | 保障类别:C10=城市低保、农村低保 月保障金额:Y | published
        博山区特困人员信息 | P | 2/社会保障 | 供养方式:C10=分散供养、集中供养
        博山区养老服务设施信息 | O | 2/公共服务 | 设施名称:C100# 床位数:I
    """),
    DeptSpec("ht_scjgj", "桓台县市场监督管理局", "桓台市场监管", "桓台县市场监管业务系统", jurisdiction="370321",
             resources="""
        桓台县市场主体信息 | E | 1/法人单位 | @成立日期 | published
        桓台县个体工商户信息 | E | 1/法人单位 | @成立日期 组成形式:C10=个人经营、家庭经营
        桓台县食品安全抽检信息 | R | 2/食品药品安全 | 抽检编号:C30# 食品名称:C50=小麦粉、食用植物油、酱油 检验结论:C10=合格、不合格
    """),
]

NO_SHARE_BASIS = {
    "精神障碍患者诊疗信息": "《中华人民共和国精神卫生法》第四条：有关单位和个人应当对精神障碍患者的姓名、肖像、住址等信息予以保密。",
    "社区矫正对象信息": "《中华人民共和国社区矫正法》第四条、第五十四条：社区矫正工作中知悉的个人信息应当保密。",
    "个人所得税纳税记录": "《中华人民共和国税收征收管理法》第八条：税务机关应当为纳税人、扣缴义务人的情况保密。",
}

# Accounts besides the stewards (one per department, ``<key>_steward``): username, roles, department key.
# Jurisdiction roles take the department's jurisdiction, or 淄博市 when there is no department.
OTHER_ACCOUNTS: list[tuple[str, tuple[str, ...], str | None, str]] = [
    ("admin_dsj", ("authority",), "dsj", "市大数据局平台管理员"),
    ("yy_admin", ("authority",), "yy_dsj", "沂源县平台管理员"),
    ("consumer", ("consumer",), "mzj", "民政局数据使用人员"),
    ("project_unit", ("project_unit",), "jyj", "教育局项目负责人"),
    ("expert", ("expert",), None, "评审专家"),
    ("finance", ("finance",), "czj", "财政局经办人员"),
    ("leader", ("leader",), None, "领导小组"),
    ("auditor", ("auditor",), "sjj", "审计局审计人员"),
]
SUPERUSER = "admin"
MARKER_DEPARTMENT = "dsj"  # its presence means the demo is loaded


def dept_uscc(index: int, spec: DeptSpec) -> str:
    return make_uscc(spec.authority, spec.jurisdiction, f"{400100 + index * 37:08d}")


# --- parsing the resource lines ------------------------------------------------------------------

_EXTRA = re.compile(r"^(?P<el>@)?(?P<name>[^:#!=]+)(?::(?P<type>[A-Z])(?P<len>\d+)?)?(?P<key>#)?(?P<auth>!)?(?:=(?P<choices>.+))?$")

TEMPLATES = {
    "P": "@公民身份号码# @姓名 @性别 @出生日期 @移动电话号码 @现住址",
    "E": "@统一社会信用代码# @市场主体名称 @法定代表人姓名",
    "LE": "@证照编号# @证照名称 @统一社会信用代码# @市场主体名称 @发证日期 @有效期截止日期 @证照颁发机构",
    "LP": "@证照编号# @证照名称 @公民身份号码# @姓名 @发证日期 @有效期截止日期 @证照颁发机构",
    "S": "@行政区划代码 统计年度:I 指标名称:C50 指标值:N 计量单位:C10=人、件、万元、个、公顷、次",
    "O": "@行政区划代码 地址:C200 经度:F 纬度:F",
    "R": "@行政区划代码",
    "-": "",
}
ELEMENT_MASKING = {"公民身份号码": Masking.ID_NUMBER, "移动电话号码": Masking.MOBILE, "姓名": Masking.NAME,
                   "法定代表人姓名": Masking.NAME, "户籍地址": Masking.ADDRESS, "现住址": Masking.ADDRESS}  # fmt: skip


@dataclass
class ItemSpec:
    item: ItemInput
    choices: tuple[str, ...] = ()


@dataclass
class ResourceSpec:
    dept: DeptSpec
    name: str
    template: str
    catalog_class: str
    subclass: str
    items: list[ItemSpec]
    state: str = ""
    api: bool = False
    core: bool = False


def _parse_item(token: str, elements: dict[str, DataElement]) -> ItemSpec:
    m = _EXTRA.match(token)
    if m is None:
        raise ValueError(f"bad item spec {token!r}")
    name = m["name"]
    is_key, is_auth = bool(m["key"]), bool(m["auth"])
    choices = tuple(m["choices"].split("、")) if m["choices"] else ()
    if m["el"]:
        el = elements[name]
        length = int(el.length.split(",")[0]) if el.length else None
        item = ItemInput(name=name, data_type=el.data_type, length=length, element=name, is_key=is_key,
                         is_authoritative=is_auth, masking=ELEMENT_MASKING.get(name, Masking.NONE))  # fmt: skip
    else:
        masking = Masking.NONE
        if "身份" in name:
            masking = Masking.ID_NUMBER
        elif name.endswith("电话"):
            masking = Masking.MOBILE
        item = ItemInput(name=name, data_type=m["type"] or "C", length=int(m["len"]) if m["len"] else None,
                         is_key=is_key, masking=masking)  # fmt: skip
    return ItemSpec(item, choices)


def parse_resources(elements: dict[str, DataElement]) -> list[ResourceSpec]:
    specs = []
    for dept in DEPARTMENTS:
        for line in filter(None, (ln.strip() for ln in dept.resources.splitlines())):
            parts = [p.strip() for p in line.split("|")] + [""] * 5
            name, template, cls, extras, options = parts[:5]
            authoritative = template.endswith("!")
            template = template.rstrip("!")
            items = [_parse_item(t, elements) for t in TEMPLATES[template].split()]
            if authoritative:
                items[0].item.is_authoritative = True
            keyed: list[ItemSpec] = []
            for token in extras.split():
                extra = _parse_item(token, elements)
                same = next((i for i, s in enumerate(items) if s.item.name == extra.item.name), None)
                if same is not None:
                    items[same] = extra
                elif extra.item.is_key:
                    keyed.append(extra)
                else:
                    items.append(extra)
            catalog_class, _, subclass = cls.partition("/")
            opts = options.split()
            specs.append(
                ResourceSpec(
                    dept=dept, name=name, template=template, catalog_class=catalog_class,
                    subclass=subclass or dept.short, items=keyed + items,
                    state=next((o for o in opts if o in ResourceState.values), ""),
                    api="api" in opts, core="core" in opts,
                )
            )  # fmt: skip
    return specs


# --- synthetic people and companies --------------------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马胡朱郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅鹏辉飞宇浩然子涵欣怡梓轩思雨俊杰雅琪文博嘉怡志强海燕晓东春梅丹凯宁"
STREETS = ["人民路", "共青团路", "柳泉路", "华光路", "联通路", "北京路", "新村路", "金晶大道", "世纪路", "中润大道", "西五路", "鲁泰大道"]  # fmt: skip
TRADES = [("科技", "信息技术开发、技术服务"), ("建材", "建筑材料销售"), ("陶瓷", "日用陶瓷制品制造、销售"),
          ("化工", "化工产品（不含危险化学品）销售"), ("食品", "食品生产、食品销售"), ("物流", "普通货物道路运输、仓储服务"),
          ("医药", "药品零售、医疗器械销售"), ("机械", "通用设备制造、机械零部件加工"), ("商贸", "日用百货、五金交电销售"),
          ("农业", "蔬菜种植、农产品初加工"), ("建筑", "房屋建筑工程施工"), ("餐饮", "餐饮服务")]  # fmt: skip
PROJECTS = ["城市更新改造项目", "污水处理厂提标改造工程", "智慧园区建设项目", "道路综合整治工程", "学校扩建工程",
            "现代物流园区项目", "老旧管网改造工程", "新能源材料产业园项目"]  # fmt: skip
BRANDS = "鲁中齐盛博汇华联金岭新华泰和宏达嘉禾瑞丰鸿泰恒信永兴德润兴业天元"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    gender: str
    birth: date
    nation: str
    phone: str
    address: str
    hukou: str
    marital: str
    county: str


@dataclass(frozen=True)
class Company:
    uscc: str
    name: str
    legal: str
    capital: str
    founded: date
    scope: str
    registrar: str
    kind: str
    status: str
    county: str


@dataclass
class World:
    rng: random.Random
    counties: list[Jurisdiction]
    people: list[Person] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    serial: int = 0

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))

    def phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    def address(self, county: Jurisdiction) -> str:
        return f"山东省淄博市{county.name}{self.rng.choice(STREETS)}{self.rng.randint(1, 300)}号"

    def day(self, start: int = 2015, end: int = 2025) -> date:
        return date(start, 1, 1) + timedelta(days=self.rng.randrange((date(end, 12, 31) - date(start, 1, 1)).days))


def build_world(rng: random.Random, counties: list[Jurisdiction], people: int = 600, companies: int = 300) -> World:
    world = World(rng, counties)
    ids: set[str] = set()
    while len(world.people) < people:
        county = rng.choice(counties)
        birth = world.day(1945, 2012)
        pid = make_citizen_id(county.code, birth, rng.randrange(1000))
        if pid in ids:
            continue
        ids.add(pid)
        world.people.append(
            Person(
                id=pid, name=world.name(), gender="1" if int(pid[16]) % 2 else "2", birth=birth,
                nation=rng.choice(["01"] * 18 + ["03", "08"]), phone=world.phone(), address=world.address(county),
                hukou=world.address(county), marital=rng.choice(["10", "20", "20", "20", "30", "40"]), county=county.code,
            )
        )  # fmt: skip
    codes: set[str] = set()
    while len(world.companies) < companies:
        county = rng.choice(counties)
        uscc = make_uscc("91", county.code, f"{rng.randrange(10**8):08d}")
        trade, scope = rng.choice(TRADES)
        name = f"淄博{rng.choice(BRANDS)}{rng.choice(BRANDS)}{trade}有限公司"
        if uscc in codes or any(c.name == name for c in world.companies):
            continue
        codes.add(uscc)
        world.companies.append(
            Company(
                uscc=uscc, name=name, legal=world.name(), capital=f"{rng.choice([50, 100, 200, 500, 1000, 3000])}",
                founded=world.day(1995, 2024), scope=scope, registrar=f"{county.name}市场监督管理局",
                kind=rng.choice(["1100", "1130", "1150", "2100", "4540"]),
                status=rng.choice(["存续"] * 8 + ["注销", "吊销"]), county=county.code,
            )
        )  # fmt: skip
    return world


CODE_SUFFIXES = ("号", "号码", "代码", "编码", "批次")


def _cell(spec: ItemSpec, res: ResourceSpec, dept: Department, world: World, p: Person, c: Company) -> str:
    """One synthetic value for an item (the row's person and company keep a row consistent)."""
    it, rng = spec.item, world.rng
    by_element: dict[str, Callable[[], str]] = {
        "公民身份号码": lambda: p.id, "姓名": lambda: p.name, "性别": lambda: p.gender,
        "出生日期": lambda: p.birth.isoformat(), "民族": lambda: p.nation, "户籍地址": lambda: p.hukou,
        "现住址": lambda: p.address, "移动电话号码": lambda: p.phone, "婚姻状况": lambda: p.marital,
        "死亡日期": lambda: world.day(2018, 2025).isoformat(), "统一社会信用代码": lambda: c.uscc,
        "市场主体名称": lambda: c.name, "法定代表人姓名": lambda: c.legal, "注册资本": lambda: c.capital,
        "成立日期": lambda: c.founded.isoformat(), "经营范围": lambda: c.scope, "登记机关": lambda: c.registrar,
        "企业类型": lambda: c.kind, "登记状态": lambda: c.status,
        "证照编号": lambda: f"{dept.jurisdiction_id}{res.dept.key.upper()}{world.next_serial():08d}",
        "证照名称": lambda: res.name.removesuffix("信息").removesuffix("发放"),
        "发证日期": lambda: world.day(2019, 2025).isoformat(),
        "有效期截止日期": lambda: world.day(2026, 2031).isoformat(), "证照颁发机构": lambda: dept.name,
        "行政区划代码": lambda: dept.jurisdiction_id if dept.jurisdiction_id != CITY else rng.choice(world.counties).code,
    }  # fmt: skip
    if it.element:
        return by_element[it.element]()
    if spec.choices:
        return rng.choice(spec.choices)
    name, dt = it.name, it.data_type
    if dt == "D":
        return world.day().isoformat()
    if dt == "T":
        return f"{world.day().isoformat()} {rng.randrange(24):02d}:{rng.randrange(60):02d}:00"
    if dt == "I":
        return str(rng.randint(1 if "年度" not in name else 2021, 500 if "年度" not in name else 2025))
    if dt in "NFB":
        if name == "经度":
            return f"{rng.uniform(117.7, 118.3):.6f}"
        if name == "纬度":
            return f"{rng.uniform(36.0, 37.2):.6f}"
        return f"{rng.uniform(1, 5000):.2f}"
    if dt == "Y":
        large = any(w in name for w in ("资本", "投资", "价款", "合同", "预算", "原值", "收入", "金额"))
        return f"{rng.uniform(1e4, 5e6) if large else rng.uniform(50, 5000):.2f}"
    if dt == "L":
        return rng.choice(["是", "否"])
    if "身份号码" in name or name == "身份证号":
        return p.id if it.is_key else rng.choice(world.people).id
    if name.endswith("姓名") or name in ("联系人", "负责人"):
        return world.name()
    if "电话" in name:
        return world.phone()
    if name.endswith(("地址", "坐落", "住址", "位置", "地点")):
        return world.address(rng.choice(world.counties))
    if name.endswith(("所属期", "年月")):
        return f"{rng.randint(2023, 2025)}-{rng.randint(1, 12):02d}"
    if name.endswith("学年"):
        return f"{(y := rng.randint(2021, 2025))}-{y + 1}"
    if "车牌" in name or "号牌" in name:
        return f"鲁C{world.next_serial():05d}"
    if name.endswith(CODE_SUFFIXES):
        return f"ZB{dept.jurisdiction_id[2:4]}{world.next_serial():08d}"
    if name.endswith(("名称", "地名")) and (it.is_key or not name.endswith(("人名称", "单位名称"))):
        noun = name.removesuffix("名称").removesuffix("标准地名") or "路"
        if "项目" in noun or "工程" in noun:
            return f"{rng.choice(world.counties).name}{rng.choice(PROJECTS)}"
        return f"{rng.choice(world.counties).name}{rng.choice(STREETS)}{noun}{world.next_serial()}"
    if it.is_key:
        return f"ZB{dept.jurisdiction_id[2:4]}{world.next_serial():08d}"
    if name.endswith(("名称", "单位", "机构", "被申请人")):
        return c.name
    text = f"{name}{rng.randint(1, 99)}"
    return text[: it.length] if it.length else text


def rows_csv(res: ResourceSpec, dept: Department, world: World, count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([s.item.name for s in res.items])
    people = world.rng.sample(world.people, count)
    companies = world.rng.sample(world.companies, count)
    for p, c in zip(people, companies, strict=True):
        writer.writerow([_cell(s, res, dept, world, p, c) for s in res.items])
    return out.getvalue().encode("utf-8")


# --- resource inputs -----------------------------------------------------------------------------

CONDITIONS = {
    "person": [
        "仅限政务部门在履行法定职责时核验或使用，按最小必要原则申请信息项，不得向第三方提供。",
        "用于政务服务事项办理中的身份核验和材料免提交，须通过共享平台接口调用并留存调用日志。",
    ],
    "entity": [
        "限于市场监管、行政审批和信用监管等履职需要使用，使用部门须经提供部门审核同意。",
        "用于办理政务服务事项时减免证明材料，须通过共享平台调用，不得批量下载留存。",
    ],
}
CYCLES = {
    "P": [UpdateCycle.REALTIME, UpdateCycle.DAILY], "E": [UpdateCycle.REALTIME, UpdateCycle.DAILY],
    "LE": [UpdateCycle.DAILY, UpdateCycle.REALTIME], "LP": [UpdateCycle.DAILY, UpdateCycle.WEEKLY],
    "S": [UpdateCycle.YEARLY, UpdateCycle.QUARTERLY, UpdateCycle.MONTHLY],
    "O": [UpdateCycle.MONTHLY, UpdateCycle.QUARTERLY], "R": [UpdateCycle.DAILY, UpdateCycle.WEEKLY, UpdateCycle.MONTHLY],
    "-": [UpdateCycle.MONTHLY],
}  # fmt: skip


def resource_input(res: ResourceSpec, dept: Department, rng: random.Random) -> ResourceInput:
    personal = res.template in ("P", "LP", "-")
    if res.name in NO_SHARE_BASIS:
        share, condition, basis = ShareType.NONE, "", NO_SHARE_BASIS[res.name]
    elif personal or (res.template in ("E", "LE", "R") and rng.random() < 0.5):
        share, basis = ShareType.CONDITIONAL, ""
        condition = rng.choice(CONDITIONS["person" if personal else "entity"])
    else:
        share, condition, basis = ShareType.UNCONDITIONAL, "", ""
    items = [replace(s.item) for s in res.items]
    if share == ShareType.CONDITIONAL and personal and rng.random() < 0.4:
        for item in items:
            if item.element == "移动电话号码":
                item.share_type = ShareType.NONE
    if res.api:
        fmt, method = ResourceFormat.INTERFACE, ShareMethod.API
    elif res.template == "S":
        fmt, method = ResourceFormat.SHEET, ShareMethod.FILE
    else:
        fmt, method = ResourceFormat.DATABASE, rng.choice([ShareMethod.API, ShareMethod.DATABASE])
    scope = dept.jurisdiction.name if dept.jurisdiction_id != CITY else "淄博市全市"
    cycle = rng.choice(CYCLES[res.template])
    names = "、".join(i.name for i in items[:5])
    summary = (
        f"{dept.name}在履职过程中产生的{res.name}，包括{names}等{len(items)}个信息项，"
        f"覆盖{scope}，{UpdateCycle(cycle).label}更新。"
    )
    grade = DataGrade.CORE if res.core else DataGrade.IMPORTANT if personal else DataGrade.GENERAL
    return ResourceInput(
        name=res.name, catalog_class=res.catalog_class, subclass=res.subclass, summary=summary[:256],
        format=fmt, share_type=share, share_method=method, update_cycle=cycle, share_condition=condition,
        no_share_basis=basis, open_to_public=share == ShareType.UNCONDITIONAL and res.template in ("S", "O"),
        release_date=date(2025, rng.randint(1, 12), rng.randint(1, 28)), data_grade=grade,
        source_system=res.dept.system, items=items,
    )  # fmt: skip


# --- workflow ------------------------------------------------------------------------------------

REJECT_NOTES = [
    "共享条件过于笼统，请写明可使用的部门范围和用途后重新提交。",
    "信息资源摘要未说明数据覆盖范围和更新方式，请补充。",
    "部分信息项未关联标准数据元，请在“引用数据元”中填写标准名称（如 公民身份号码、移动电话号码）。",
    "资源名称与已发布资源重复度高，请核实是否为同一资源，避免重复编目。",
]
OFFLINE_REASONS = [
    "来源信息系统升级改造，暂停共享，预计下季度恢复。",
    "该资源已由新版资源替代，原资源下线。",
]
STATE_SHARES = [  # the rest are published
    (ResourceState.DRAFT, 0.10), (ResourceState.SUBMITTED, 0.12), (ResourceState.REJECTED, 0.07),
    (ResourceState.APPROVED, 0.10), (ResourceState.MOUNTED, 0.10), (ResourceState.OFFLINE, 0.08),
]  # fmt: skip
STATE_LABELS = [(s.value, s.label) for s in ResourceState]
STEPS = {
    ResourceState.DRAFT: 0, ResourceState.SUBMITTED: 1, ResourceState.REJECTED: 2, ResourceState.APPROVED: 2,
    ResourceState.MOUNTED: 3, ResourceState.PUBLISHED: 4, ResourceState.OFFLINE: 5,
}  # fmt: skip


def assign_states(specs: list[ResourceSpec], rng: random.Random) -> None:
    free = [s for s in specs if not s.state]
    rng.shuffle(free)
    start = 0
    for state, share in STATE_SHARES:
        count = max(1, round(len(free) * share))
        for spec in free[start : start + count]:
            spec.state = state
        start += count
    for spec in free[start:]:
        spec.state = ResourceState.PUBLISHED


@dataclass
class Loader:
    rng: random.Random
    world: World
    departments: dict[str, Department]
    actors: dict[str, Actor]
    index: ElementIndex
    rows: int = 0

    def steward(self, spec: ResourceSpec) -> Actor:
        return self.actors[f"{spec.dept.key}_steward"]

    def reviewer(self, spec: ResourceSpec) -> Actor:
        return self.actors["yy_admin" if spec.dept.jurisdiction == "370323" else "admin_dsj"]

    def mount(self, spec: ResourceSpec, resource: Resource) -> Resource:
        steward, dept = self.steward(spec), self.departments[spec.dept.key]
        if spec.api:
            return catalog.resource_mount_interface(
                actor=steward, resource_id=resource.pk, expected_version=resource.version,
                url=f"https://sjgx.zibo.gov.cn/gateway/{spec.dept.key}/{resource.code.replace('/', '-')}",
                method="POST" if spec.template == "P" else "GET",
                params=[{"name": spec.items[0].item.name, "required": "是", "description": "查询条件"}],
            ).resource  # fmt: skip
        count = self.rng.randint(15, 40)
        payload = rows_csv(spec, dept, self.world, count)
        self.rows += count
        return catalog.resource_mount_rows(
            actor=steward, resource_id=resource.pk, expected_version=resource.version,
            file=io.BytesIO(payload), filename=f"{spec.name}.csv",
        ).resource  # fmt: skip

    def run(self, spec: ResourceSpec, data: ResourceInput) -> Resource:
        steward, reviewer = self.steward(spec), self.reviewer(spec)
        dept = self.departments[spec.dept.key]
        r = catalog.resource_register(actor=steward, data=data, department_id=dept.pk, index=self.index)
        steps = STEPS[ResourceState(spec.state)]
        if steps >= 1:
            r = catalog.resource_submit(actor=steward, resource_id=r.pk, expected_version=r.version).resource
        if spec.state == ResourceState.REJECTED:
            note = self.rng.choice(REJECT_NOTES)
            return catalog.resource_review(
                actor=reviewer, resource_id=r.pk, expected_version=r.version, approve=False, note=note
            ).resource
        if steps >= 2:
            r = catalog.resource_review(actor=reviewer, resource_id=r.pk, expected_version=r.version, approve=True).resource
        if steps >= 3:
            r = self.mount(spec, r)
        if steps >= 4:
            r = catalog.resource_publish(actor=steward, resource_id=r.pk, expected_version=r.version).resource
        if steps >= 5:
            reason = self.rng.choice(OFFLINE_REASONS)
            r = catalog.resource_offline(actor=steward, resource_id=r.pk, expected_version=r.version, reason=reason).resource
        return r

    def revise(self, spec: ResourceSpec, data: ResourceInput, resource: Resource, republish: bool) -> None:
        """Edit a published resource: it goes back to 已注册; some go through review to a version 2."""
        steward = self.steward(spec)
        data = replace(data, summary=(data.summary + "2026年起增加历史数据回溯。")[:256], update_cycle=UpdateCycle.DAILY)
        r = catalog.resource_update(
            actor=steward, resource_id=resource.pk, expected_version=resource.version, data=data, index=self.index
        )
        if not republish:
            return
        r = catalog.resource_submit(actor=steward, resource_id=r.pk, expected_version=r.version).resource
        r = catalog.resource_review(
            actor=self.reviewer(spec), resource_id=r.pk, expected_version=r.version, approve=True
        ).resource
        catalog.resource_publish(actor=steward, resource_id=r.pk, expected_version=r.version)


# --- accounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    roles: str
    department: str


def accounts() -> list[Account]:
    """The demo accounts as they are in the database (so the table can be printed at any time)."""
    User = get_user_model()
    names = [SUPERUSER] + [a[0] for a in OTHER_ACCOUNTS] + [f"{d.key}_steward" for d in DEPARTMENTS]
    users = {u.get_username(): u for u in User.objects.filter(username__in=names)}
    profiles = {p.user_id: p for p in Profile.objects.select_related("department").filter(user__in=users.values())}
    roles: dict[int, list[str]] = {}
    for a in RoleAssignment.objects.select_related("role", "jurisdiction").filter(user__in=users.values()):
        where = f"@{a.jurisdiction.name}" if a.jurisdiction else ""
        roles.setdefault(a.user_id, []).append(f"{a.role.name}{where}")
    out = []
    for name in names:
        user = users.get(name)
        if user is None:
            continue
        role = "超级管理员（全平台）" if user.is_superuser else "、".join(roles.get(user.pk, [])) or "—"
        profile = profiles.get(user.pk)
        out.append(Account(name, role, profile.department.name if profile and profile.department else "—"))
    return out


def is_loaded() -> bool:
    index = next(i for i, d in enumerate(DEPARTMENTS) if d.key == MARKER_DEPARTMENT)
    return Department.objects.filter(uscc=dept_uscc(index, DEPARTMENTS[index])).exists()


class DemoPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with few rounds, for the published demo password only. Same algorithm name, so Django's
    own hasher verifies it and re-hashes it at full strength on the first login (``must_update``)."""

    iterations = 1000


@contextmanager
def quick_demo_hashing() -> Iterator[None]:
    """36 accounts at ~0.2 s of PBKDF2 each would be most of the load time; the password is public."""
    if get_hasher().algorithm != DemoPasswordHasher.algorithm:
        yield  # e.g. the test settings' fast hasher: nothing to speed up
        return
    hashers = [f"{__name__}.DemoPasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


def _create_users(departments: dict[str, Department]) -> dict[str, Actor]:
    created: dict[str, Any] = {}
    for d in DEPARTMENTS:
        dept = departments[d.key]
        created[f"{d.key}_steward"] = user_create(
            actor=SYSTEM, username=f"{d.key}_steward", password=DEMO_PASSWORD, department=dept,
            roles=[("steward", dept.pk)], display_name=f"{d.short}数据管理员",
        )  # fmt: skip
    scope_kinds = dict(Role.objects.values_list("code", "scope_kind"))
    for username, role_codes, dept_key, display in OTHER_ACCOUNTS:
        home = departments[dept_key] if dept_key else None
        roles: list[tuple[str, str | int]] = []
        for code in role_codes:
            if scope_kinds[code] == RoleScope.DEPARTMENT:
                assert home is not None, f"{username}: role {code} needs a department"
                roles.append((code, home.pk))
            else:
                roles.append((code, home.jurisdiction_id if home else CITY))
        created[username] = user_create(
            actor=SYSTEM, username=username, password=DEMO_PASSWORD, department=home, roles=roles,
            display_name=display,
        )  # fmt: skip
    # The Django superuser (what `sanbu createsuperuser` makes): the platform authority everywhere.
    admin: Any = user_create(actor=SYSTEM, username=SUPERUSER, password=DEMO_PASSWORD,
                             department=departments[MARKER_DEPARTMENT], roles=[], display_name="超级管理员")  # fmt: skip
    admin.is_superuser = admin.is_staff = True
    admin.save(update_fields=["is_superuser", "is_staff"])
    audit.record(actor=SYSTEM, action="orgs.user.superuser", obj=admin,
                 after={"username": SUPERUSER, "is_superuser": True, "is_staff": True})  # fmt: skip
    return {name: actor_for_user(user, request_id="demo-load") for name, user in created.items()}


# --- the load ------------------------------------------------------------------------------------


@dataclass
class LoadSummary:
    departments: int
    users: int
    resources: int
    states: dict[str, int]
    rows: int
    interfaces: int
    open_conflicts: int
    seconds: float


def load() -> LoadSummary | None:
    """Load everything in one transaction per database; None when the demo is already there."""
    if is_loaded():
        return None
    started = time.monotonic()
    with transaction.atomic(), transaction.atomic(using="datastore"):
        summary = _load()
    summary.seconds = time.monotonic() - started
    return summary


def _load() -> LoadSummary:
    rng = random.Random(SEED)
    counties = list(
        Jurisdiction.objects.filter(parent_id=CITY, valid_to__isnull=True).exclude(name="市辖区").order_by("code")
    )
    departments: dict[str, Department] = {}
    for i, d in enumerate(DEPARTMENTS):
        departments[d.key] = department_create(
            actor=SYSTEM, name=d.name, uscc=dept_uscc(i, d), jurisdiction=d.jurisdiction, short_name=d.short
        ).department
    with quick_demo_hashing():
        actors = _create_users(departments)

    elements = {e.name: e for e in DataElement.objects.all()}
    specs = parse_resources(elements)
    assign_states(specs, rng)
    loader = Loader(rng, build_world(rng, counties), departments, actors, ElementIndex(list(elements.values())))
    made: list[tuple[ResourceSpec, ResourceInput, Resource]] = []
    for spec in specs:
        data = resource_input(spec, departments[spec.dept.key], rng)
        made.append((spec, data, loader.run(spec, data)))

    # Edits after publishing send a resource back to 已注册; two go on to a second published version.
    published = [m for m in made if m[0].state == ResourceState.PUBLISHED and not m[0].core]
    for n, (spec, data, resource) in enumerate(rng.sample(published, 4)):
        resource.refresh_from_db()
        loader.revise(spec, data, resource, republish=n < 2)

    # 一数一源: an explicit claim on an unowned element, another on an owned one (an open conflict),
    # and the authority resolving one of the conflicts the registrations opened.
    catalog.element_claim(actor=actors["dsj_steward"], element_id=elements["证照编号"].pk)
    catalog.element_claim(actor=actors["yy_dsj_steward"], element_id=elements["户籍地址"].pk)
    branch = ElementConflict.objects.get(
        state=ConflictState.OPEN, claimant=departments["zd_gaj"], element=elements["公民身份号码"]
    )
    catalog.conflict_resolve(
        actor=actors["admin_dsj"], conflict_id=branch.pk, winner_department_id=departments["gaj"].pk,
        note="公民身份号码以市公安局人口库为唯一权威来源，张店分局通过共享平台获取，不再单独维护。",
    )  # fmt: skip

    from .exchange_data import load_exchange

    load_exchange(actors, departments, rng)

    states = Counter(Resource.objects.values_list("state", flat=True))
    return LoadSummary(
        departments=len(departments), users=len(actors) + 1, resources=len(made),
        states={s: states.get(s, 0) for s in ResourceState.values}, rows=loader.rows,
        interfaces=sum(1 for s in specs if s.api and STEPS[ResourceState(s.state)] >= 3),
        open_conflicts=ElementConflict.objects.filter(state=ConflictState.OPEN).count(), seconds=0.0,
    )  # fmt: skip


__all__ = ["DEMO_PASSWORD", "Account", "LoadSummary", "accounts", "is_loaded", "load"]
