"""Catalog Excel import and export: row-level errors, nothing written on error, round trip, commands."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from sanbu.catalog import services
from sanbu.catalog.excel import catalog_export, catalog_import
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import (
    CatalogClass,
    DataElement,
    DataGrade,
    DataType,
    ElementConflict,
    Masking,
    Resource,
    ResourceFormat,
    ResourceItem,
    ResourceState,
    Secrecy,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from sanbu.catalog.sheet import (
    ITEM_COLUMNS,
    RESOURCE_COLUMNS,
    TEMPLATE_PATH,
    CellValueError,
    format_bool,
    format_choice,
    format_date,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    text_of,
)
from sanbu.core.actor import SYSTEM
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_user

RES_HEADERS = [c.title for c in RESOURCE_COLUMNS]
ITEM_HEADERS = [c.title for c in ITEM_COLUMNS]


def resource_row(dept: Any, name: str, **over: Any) -> dict[str, Any]:
    row = {
        "信息资源名称*": name,
        "资源分类*": "部门信息资源",
        "资源子类*": "户籍管理",
        "信息资源提供方*": dept.name,
        "提供方代码*": dept.uscc,
        "信息资源摘要*": f"{name}的摘要",
        "资源格式*": "数据库",
        "共享类型*": "无条件共享",
        "共享方式*": "共享平台-接口",
        "是否向社会开放*": "否",
        "更新周期*": "每日",
        "涉密属性*": "非涉密",
        "数据级别*": "一般数据",
    }
    row.update(over)
    return row


def item_row(resource: str, name: str, **over: Any) -> dict[str, Any]:
    row = {"信息资源名称*": resource, "信息项名称*": name, "数据类型*": "C 字符型"}
    row.update(over)
    return row


def workbook(resources: list[dict[str, Any]], items: list[dict[str, Any]] = ()) -> io.BytesIO:  # type: ignore[assignment]
    """A filled-in copy of the shipped template."""
    wb = openpyxl.load_workbook(TEMPLATE_PATH)
    for ws, headers, rows in ((wb["资源"], RES_HEADERS, resources), (wb["信息项"], ITEM_HEADERS, items)):
        for r, row in enumerate(rows, start=2):
            unknown = set(row) - set(headers)
            assert not unknown, unknown
            for c, header in enumerate(headers, start=1):
                if header in row:
                    ws.cell(row=r, column=c, value=row[header])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def two_resources(dept: Any) -> io.BytesIO:
    return workbook(
        [
            resource_row(dept, "常住人口基本信息", **{"共享类型*": "有条件共享", "共享条件": "仅限政务办事使用"}),
            resource_row(dept, "户籍迁移登记", **{"发布日期": "2024-03-01", "更新周期*": "不定期"}),
        ],
        [
            item_row("常住人口基本信息", "身份证号", **{"引用数据元": "公民身份号码", "是否主键": "是",
                                                   "是否权威来源": "是", "数据长度": 18, "脱敏方式": "身份证号"}),
            item_row("常住人口基本信息", "姓名", **{"引用数据元": "DE00002", "数据长度": 50}),
            item_row("常住人口基本信息", "出生日期", **{"数据类型*": "D", "共享类型": "不予共享"}),
            item_row("户籍迁移登记", "迁入地", **{"数据长度": 200}),
        ],
    )  # fmt: skip


# --- cell parsing (pure) --------------------------------------------------------------------------


CHOICES = [
    CatalogClass,
    ResourceFormat,
    ShareType,
    ShareMethod,
    UpdateCycle,
    Secrecy,
    DataGrade,
    DataType,
    Masking,
]


@given(st.sampled_from(CHOICES).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(c.values))))
def test_choice_label_round_trip(pair: tuple[Any, str]) -> None:
    choices, value = pair
    label = format_choice(value, choices)
    assert parse_choice(label, choices) == value
    assert parse_choice(f"  {label} ", choices) == value
    assert parse_choice(value, choices) == value


@given(st.sampled_from(DataType.values))
def test_data_type_bare_letter_and_label(letter: str) -> None:
    assert parse_choice(letter, DataType) == letter
    assert parse_choice(letter.lower(), DataType) == letter
    assert parse_choice(str(DataType(letter).label).replace(" ", ""), DataType) == letter


@given(st.text(min_size=1, max_size=12))
def test_unknown_choice_is_rejected_or_known(text: str) -> None:
    try:
        value = parse_choice(text, ShareType)
    except CellValueError as exc:
        assert exc.code == "import.cell.choice"
        assert "无条件共享" in exc.message
    else:
        assert value is None or value in ShareType.values


@given(st.booleans())
def test_bool_round_trip(value: bool) -> None:
    assert parse_bool(format_bool(value)) is value
    assert parse_bool(value) is value
    assert parse_bool(int(value)) is value


@given(st.text(max_size=6))
def test_bool_text_is_yes_no_blank_or_error(text: str) -> None:
    try:
        value = parse_bool(text)
    except CellValueError as exc:
        assert exc.code == "import.cell.bool"
    else:
        assert value is None if not text.strip() else isinstance(value, bool)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_date_round_trip(value: date) -> None:
    assert parse_date(format_date(value)) == value
    assert parse_date(datetime(value.year, value.month, value.day)) == value
    assert parse_date(value.strftime("%Y/%m/%d")) == value
    assert parse_date(f"{value.year}年{value.month}月{value.day}日") == value


@given(st.text(max_size=12))
def test_date_text_parses_or_says_how(text: str) -> None:
    try:
        value = parse_date(text)
    except CellValueError as exc:
        assert "YYYY-MM-DD" in exc.message
    else:
        assert value is None or isinstance(value, date)


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_int_cells(n: int) -> None:
    assert parse_int(n) == n
    assert parse_int(float(n)) == n
    assert parse_int(str(n)) == n
    assert text_of(float(n)) == str(n)


def test_bad_cells() -> None:
    for bad in ("18.5", "十八", True):
        with pytest.raises(CellValueError):
            parse_int(bad)
    with pytest.raises(CellValueError):
        parse_date("2024-02-30")
    assert parse_choice("不定期", UpdateCycle) == UpdateCycle.OTHER
    assert format_choice(UpdateCycle.OTHER, UpdateCycle) == "不定期"


def test_template_headers_and_dictionary_match_the_columns() -> None:
    wb = openpyxl.load_workbook(TEMPLATE_PATH)
    assert [c.value for c in wb["资源"][1]] == RES_HEADERS
    assert [c.value for c in wb["信息项"][1]] == ITEM_HEADERS
    dictionary = wb["字典"]
    by_header = {c.value: c.column for c in dictionary[1]}
    pairs: list[tuple[str, Any]] = [("资源分类", CatalogClass), ("资源格式", ResourceFormat), ("共享类型", ShareType),
                            ("共享方式", ShareMethod), ("更新周期", UpdateCycle), ("涉密属性", Secrecy),
                            ("数据级别", DataGrade), ("数据类型", DataType), ("脱敏方式", Masking)]  # fmt: skip
    for header, choices in pairs:
        col = by_header[header]
        labels = [
            r[0] for r in dictionary.iter_rows(min_row=2, min_col=col, max_col=col, values_only=True) if r[0]
        ]
        assert sorted(str(parse_choice(lbl, choices)) for lbl in labels) == sorted(choices.values), header
        assert sorted(format_choice(v, choices) for v in choices.values) == sorted(labels), header


# --- import ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_valid_import_creates_resources_items_and_codes(dept: Any, steward_actor: Any) -> None:
    records_before = ChangeRecord.objects.count()
    report = catalog_import(actor=steward_actor, file=two_resources(dept))
    assert report.ok, report.lines()
    assert (report.created, report.updated, report.unchanged, report.items) == (2, 0, 0, 4)
    people = Resource.objects.get(department=dept, name="常住人口基本信息")
    moves = Resource.objects.get(department=dept, name="户籍迁移登记")
    assert sorted(report.resource_ids) == sorted([people.pk, moves.pk])
    assert people.code.startswith(f"300000{dept.jurisdiction_id}/") and people.code != moves.code
    assert people.share_type == ShareType.CONDITIONAL and people.share_condition == "仅限政务办事使用"
    assert people.state == ResourceState.DRAFT and people.version == 1
    assert moves.release_date == date(2024, 3, 1) and moves.update_cycle == UpdateCycle.OTHER
    items = list(people.items.order_by("position"))
    assert [i.name for i in items] == ["身份证号", "姓名", "出生日期"]
    assert items[0].element is not None and items[0].element.name == "公民身份号码"
    assert items[0].is_key and items[0].is_authoritative and items[0].length == 18
    assert items[0].masking == Masking.ID_NUMBER
    assert items[1].element is not None and items[1].element.identifier == "DE00002"
    assert items[2].data_type == "D" and items[2].share_type == ShareType.NONE
    # 一数一源: the department became the authoritative source of the element it declared
    assert DataElement.objects.get(name="公民身份号码").authority_id == dept.pk
    # one change record per resource, with the same after-state the register service writes
    records = ChangeRecord.objects.filter(action="catalog.resource.register").order_by("seq")
    assert records.count() == 2
    assert ChangeRecord.objects.count() == records_before + 3  # + the element authority record
    by_id = {r.object_id: r for r in records}
    assert by_id[str(people.pk)].after == services.resource_snapshot(people)
    assert (by_id[str(moves.pk)].after or {})["release_date"] == "2024-03-01"


@pytest.mark.django_db
def test_given_code_is_kept_and_validated(dept: Any, authority_actor: Any) -> None:
    code = f"300000{dept.jurisdiction_id}/000777"
    report = catalog_import(
        actor=authority_actor,
        file=workbook([resource_row(dept, "甲", **{"信息资源代码": code}),
                       resource_row(dept, "乙", **{"信息资源代码": "1xx"})]),
    )  # fmt: skip
    assert report.lines() == [
        "资源!3 信息资源代码：信息资源代码“1xx”格式不正确：应为 类(1位)+项(2位)+目(3位)+细目/顺序码，"
        "如 3070211760000002004006/000033；留空则由平台生成。"
    ]
    report = catalog_import(actor=authority_actor, file=workbook([resource_row(dept, "甲", **{"信息资源代码": code}),
                                                                 resource_row(dept, "乙")]))  # fmt: skip
    assert report.ok, report.lines()
    assert Resource.objects.get(name="甲").code == code
    assert Resource.objects.get(name="乙").code != code


@pytest.mark.django_db
def test_error_file_imports_nothing_and_names_each_cell(
    dept: Any, other_dept: Any, steward_actor: Any
) -> None:
    bad_uscc = dept.uscc[:-1] + ("0" if dept.uscc[-1] != "0" else "1")
    file = workbook(
        [
            resource_row(dept, "常住人口基本信息"),  # 2: fine
            resource_row(dept, "户籍迁移登记", **{"提供方代码*": bad_uscc}),  # 3: checksum
            resource_row(dept, "居住证", **{"共享类型*": "有条件共享"}),  # 4: 共享条件 missing
            resource_row(dept, "暂住登记", **{"共享方式*": "飞鸽传书", "是否向社会开放*": "也许"}),  # 5
            resource_row(other_dept, "企业登记信息"),  # 6: another department's row
            resource_row(dept, "常住人口基本信息"),  # 7: duplicate name
        ],
        [
            item_row("常住人口基本信息", "身份证号", **{"引用数据元": "身份号码X"}),  # 2: unknown element
            item_row("常住户口", "姓名"),  # 3: orphan
            item_row("常住人口基本信息", "性别", **{"数据类型*": "Z 字母型"}),  # 4: bad choice
        ],
    )
    records_before = ChangeRecord.objects.count()
    report = catalog_import(actor=steward_actor, file=file)
    assert not report.ok and not report.written
    lines = report.lines()
    from stdnum.cn import uscc as stdnum_uscc

    digit = stdnum_uscc.calc_check_digit(bad_uscc[:-1])
    assert lines == [
        f"资源!3 提供方代码：统一社会信用代码校验位错误：末位应为“{digit}”，请核对原证照。",
        "资源!4 共享条件：有条件共享的资源未填写共享条件（CAT-5，依据：002 篇三 第十一条（赣府厅发〔2023〕12号））。填写具体的共享条件（如：仅限办理社保业务的部门使用）",
        "资源!5 共享方式：“飞鸽传书”不是可选值，请从下拉列表中选择：共享平台-接口、共享平台-文件、共享平台-数据库、邮件、介质。",
        "资源!5 是否向社会开放：“也许”不是有效值，请填写“是”或“否”。",
        f"资源!6 提供方代码：您无权为“{other_dept.name}”导入目录：部门数据管理员只能导入本部门的资源，请删除此行或由该部门导入。",
        "资源!7 信息资源名称：与第 2 行重复：同一提供方的信息资源名称不能重复，请改名或合并两行。",
        "信息项!2 引用数据元：引用数据元“身份号码X”不在数据元标准中：请填写标准中的中文名称或标识符（如 公民身份号码），或留空。",
        "信息项!3 信息资源名称：“常住户口”在“资源”表中不存在：请与“资源”表中的信息资源名称一字不差，或先在“资源”表登记该资源。",
        "信息项!4 数据类型：“Z 字母型”不是可选值，请从下拉列表中选择：C 字符型、N 数值型、Y 货币型、D 日期型、T 日期时间型、"
        "L 逻辑型、M 备注型、G 通用型、B 双精度型、I 整型、F 浮点型。",
    ]  # fmt: skip
    codes = {e.code for e in report.errors}
    assert {"import.uscc.checksum", "import.resource.rule.CAT-5", "import.cell.choice", "import.cell.bool",
            "import.provider.forbidden", "import.item.unknown_element", "import.item.orphan"} <= codes  # fmt: skip
    assert report.errors[0].cell == "F3"
    assert Resource.objects.count() == 0 and ResourceItem.objects.count() == 0
    assert ChangeRecord.objects.count() == records_before


@pytest.mark.django_db
def test_provider_checks(dept: Any, authority_actor: Any) -> None:
    from sanbu.core.identifiers import make_uscc

    unknown = make_uscc("11", "370300", "99999999")
    report = catalog_import(
        actor=authority_actor,
        file=workbook([
            resource_row(dept, "甲", **{"信息资源提供方*": "某某局"}),
            resource_row(dept, "乙", **{"提供方代码*": unknown}),
            resource_row(dept, "丙", **{"提供方代码*": "12345"}),
            resource_row(dept, "丁", **{"信息资源提供方*": None, "资源分类*": None}),
        ]),
    )  # fmt: skip
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "信息资源提供方", "import.provider.name_mismatch"),
        (3, "提供方代码", "import.provider.unknown"),
        (4, "提供方代码", "import.uscc.length"),
        (5, "资源分类", "import.cell.required"),
        (5, "信息资源提供方", "import.cell.required"),
    ]
    assert report.errors[-1].line() == "资源!5 信息资源提供方：信息资源提供方为必填项。"


@pytest.mark.django_db
def test_dry_run_writes_nothing(dept: Any, steward_actor: Any) -> None:
    records = ChangeRecord.objects.count()
    report = catalog_import(actor=steward_actor, file=two_resources(dept), dry_run=True)
    assert report.ok and report.dry_run and not report.written
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert [(c.row, c.action, c.code, c.resource_id) for c in report.changes] == [
        (2, "create", "", None), (3, "create", "", None)
    ]  # fmt: skip
    assert report.summary() == "将新建 2、将更新 0、未变 0"
    assert Resource.objects.count() == 0 and ChangeRecord.objects.count() == records
    assert DataElement.objects.get(name="公民身份号码").authority_id is None


@pytest.mark.django_db
def test_reimport_changes_nothing_then_update_is_detected(dept: Any, steward_actor: Any) -> None:
    assert catalog_import(actor=steward_actor, file=two_resources(dept)).ok
    people = Resource.objects.get(name="常住人口基本信息")
    Resource.objects.filter(pk=people.pk).update(state=ResourceState.APPROVED)
    records = ChangeRecord.objects.count()
    item_ids = set(ResourceItem.objects.values_list("id", flat=True))

    again = catalog_import(actor=steward_actor, file=two_resources(dept))
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.resource_ids == []
    assert ChangeRecord.objects.count() == records
    assert set(ResourceItem.objects.values_list("id", flat=True)) == item_ids
    people.refresh_from_db()
    assert people.version == 1 and people.state == ResourceState.APPROVED

    changed = workbook(
        [
            resource_row(dept, "常住人口基本信息", **{"共享类型*": "有条件共享", "共享条件": "仅限公安业务",
                                                 "信息资源代码": people.code}),
            resource_row(dept, "户籍迁移登记", **{"发布日期": "2024-03-01", "更新周期*": "不定期"}),
        ],
        [
            item_row("常住人口基本信息", "身份证号", **{"引用数据元": "公民身份号码", "是否主键": "是",
                                                   "是否权威来源": "是", "数据长度": 18, "脱敏方式": "身份证号"}),
            item_row("常住人口基本信息", "姓名", **{"引用数据元": "DE00002", "数据长度": 50}),
            item_row("户籍迁移登记", "迁入地", **{"数据长度": 200}),
        ],
    )  # fmt: skip
    report = catalog_import(actor=steward_actor, file=changed)
    assert report.ok, report.lines()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert report.resource_ids == [people.pk]
    people.refresh_from_db()
    assert people.version == 2 and people.state == ResourceState.DRAFT  # reviewed → back to 已注册
    assert people.share_condition == "仅限公安业务"
    assert list(people.items.order_by("position").values_list("name", flat=True)) == ["身份证号", "姓名"]
    record = ChangeRecord.objects.filter(action="catalog.resource.update").get()
    assert record.object_id == str(people.pk)
    assert record.before is not None and record.after is not None
    assert record.before["share_condition"] == "仅限政务办事使用"
    assert len(record.before["items"]) == 3 and len(record.after["items"]) == 2
    assert record.after == services.resource_snapshot(people)


@pytest.mark.django_db
def test_update_rules(dept: Any, other_dept: Any, authority_actor: Any) -> None:
    assert catalog_import(actor=authority_actor, file=two_resources(dept)).ok
    people = Resource.objects.get(name="常住人口基本信息")
    moves = Resource.objects.get(name="户籍迁移登记")
    Resource.objects.filter(pk=people.pk).update(state=ResourceState.SUBMITTED)
    report = catalog_import(
        actor=authority_actor,
        file=workbook([
            resource_row(dept, "人口改名", **{"信息资源代码": people.code}),  # under review
            resource_row(dept, "户籍迁移登记", **{"信息资源代码": f"300000{dept.jurisdiction_id}/009999"}),
            resource_row(other_dept, "别家的", **{"信息资源代码": moves.code}),
            resource_row(dept, "常住人口基本信息"),  # the same resource as row 2
        ]),
    )  # fmt: skip
    assert [(e.row, e.code) for e in report.errors] == [
        (2, "import.resource.in_review"),
        (3, "import.code.immutable"),
        (4, "import.code.taken"),
        (5, "import.resource.same_target"),
    ]


@pytest.mark.django_db
def test_rename_by_code(dept: Any, authority_actor: Any) -> None:
    assert catalog_import(actor=authority_actor, file=two_resources(dept)).ok
    moves = Resource.objects.get(name="户籍迁移登记")
    report = catalog_import(
        actor=authority_actor,
        file=workbook([resource_row(dept, "户口迁移登记", **{"信息资源代码": moves.code, "发布日期": "2024-03-01",
                                                       "更新周期*": "不定期"})],
                      [item_row("户口迁移登记", "迁入地", **{"数据长度": 200})]),
    )  # fmt: skip
    assert report.ok and report.updated == 1, report.lines()
    moves.refresh_from_db()
    assert moves.name == "户口迁移登记" and moves.version == 2


@pytest.mark.django_db
def test_second_authoritative_department_opens_a_conflict(
    dept: Any, other_dept: Any, authority_actor: Any
) -> None:
    assert catalog_import(actor=authority_actor, file=two_resources(dept)).ok
    report = catalog_import(
        actor=authority_actor,
        file=workbook([resource_row(other_dept, "企业法人信息")],
                      [item_row("企业法人信息", "法人身份证号", **{"引用数据元": "公民身份号码", "是否权威来源": "是"})]),
    )  # fmt: skip
    assert report.ok
    assert len(report.warnings) == 1 and "公民身份号码" in report.warnings[0]
    conflict = ElementConflict.objects.get()
    assert conflict.claimant_id == other_dept.pk and conflict.incumbent_id == dept.pk


@pytest.mark.django_db
def test_progress_is_reported(dept: Any, steward_actor: Any) -> None:
    calls: list[tuple[int, int, str]] = []
    catalog_import(
        actor=steward_actor, file=two_resources(dept), progress=lambda d, t, p: calls.append((d, t, p))
    )
    assert ("parse" in {c[2] for c in calls}) and ("write" in {c[2] for c in calls})
    assert all(d <= t for d, t, _ in calls)


# --- bad files ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_not_an_xlsx(steward_actor: Any, tmp_path: Path) -> None:
    csv = tmp_path / "catalog.csv"
    csv.write_text("信息资源名称,资源分类\n甲,部门信息资源\n", encoding="utf-8")
    report = catalog_import(actor=steward_actor, file=csv)
    assert [e.line() for e in report.errors] == [
        "文件!1 文件不是 Excel 工作簿（.xlsx）：请下载平台提供的目录模板，填写后按 .xlsx 格式保存再导入。"
    ]
    xls = io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert catalog_import(actor=steward_actor, file=xls).errors[0].code == "import.file.xls"
    broken = io.BytesIO(b"PK\x03\x04 not really a zip")
    assert catalog_import(actor=steward_actor, file=broken).errors[0].code == "import.file.invalid"


@pytest.mark.django_db
def test_missing_sheet_and_wrong_headers(dept: Any, steward_actor: Any) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "资源"
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    report = catalog_import(actor=steward_actor, file=out)
    assert report.lines() == [
        "信息项!1 缺少工作表“信息项”：请使用平台提供的目录模板（含“资源”“信息项”两张表）。"
    ]

    wb = openpyxl.load_workbook(TEMPLATE_PATH)
    wb["资源"]["J1"] = "条件"
    wb["资源"].append(list(resource_row(dept, "甲").values()))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    report = catalog_import(actor=steward_actor, file=out)
    assert report.lines() == [
        "资源!1 共享条件：第 J 列表头应为“共享条件”，实际为“条件”：请使用平台提供的目录模板，不要增删、调换或改名列。"
    ]


@pytest.mark.django_db
def test_empty_template_is_an_error(steward_actor: Any) -> None:
    report = catalog_import(actor=steward_actor, file=TEMPLATE_PATH)
    assert [e.code for e in report.errors] == ["import.empty"]
    assert report.lines()[0].startswith("资源!2 ")


@pytest.mark.django_db
def test_blank_rows_are_skipped_and_rows_keep_excel_numbers(dept: Any, steward_actor: Any) -> None:
    file = workbook([resource_row(dept, "甲"), {}, {}, resource_row(dept, "乙", **{"资源格式*": "纸质"})])
    report = catalog_import(actor=steward_actor, file=file)
    assert [e.line()[:8] for e in report.errors] == ["资源!5 资源格"]


# --- export and round trip ------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_then_import_is_a_round_trip(dept: Any, other_dept: Any, steward_actor: Any) -> None:
    assert catalog_import(actor=steward_actor, file=two_resources(dept)).ok
    services.resource_register(
        actor=steward_actor,
        data=ResourceInput(
            name="出入境证件", catalog_class="1", subclass="电子证照", summary="护照、通行证", format="file",
            share_type="none", no_share_basis="《出境入境管理法》第八十五条", share_method="file",
            update_cycle="realtime", open_to_public=True, open_condition="仅公开统计数", secrecy="secret",
            data_grade="core", source_system="出入境管理系统", release_date=date(2023, 12, 31),
            related_codes=f"300000{dept.jurisdiction_id}/000001",
            items=[ItemInput(name="证件号码", data_type="C", length=9, element="证照编号", share_type="conditional",
                             share_condition="按需申请", masking="full")],
        ),
    )  # fmt: skip
    assert Resource.objects.filter(department=dept).count() == 3
    stream = io.BytesIO()
    result = catalog_export(actor=steward_actor, department_id=dept.pk, stream=stream)
    assert (result.resources, result.items) == (3, 5)
    stream.seek(0)

    wb = openpyxl.load_workbook(stream)
    assert wb.sheetnames == ["说明", "资源", "信息项", "字典"]
    assert wb["说明"]["A1"].value == "政务信息资源目录编制模板"
    assert wb["字典"]["C3"].value == "有条件共享"
    res = wb["资源"]
    assert [c.value for c in res[1]] == RES_HEADERS
    assert res["J1"].comment is not None and "有条件共享" in res["J1"].comment.text
    assert res.freeze_panes == "A2"
    assert {str(dv.sqref) for dv in res.data_validations.dataValidation} >= {"I2:I5000", "C2:C5000"}
    assert res.max_row == 4
    assert res["F2"].value == dept.uscc and res["E2"].value == dept.name
    stream.seek(0)

    records = ChangeRecord.objects.count()
    report = catalog_import(actor=steward_actor, file=stream)
    assert report.ok, report.lines()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert ChangeRecord.objects.count() == records
    stream.seek(0)
    assert catalog_import(
        actor=actor_of(make_user(department=other_dept, roles=("steward",))), file=stream
    ).errors


@pytest.mark.django_db
def test_export_shows_only_what_the_actor_sees(dept: Any, other_dept: Any, steward_actor: Any) -> None:
    assert catalog_import(actor=steward_actor, file=two_resources(dept)).ok
    outsider = actor_of(make_user(department=other_dept, roles=("steward",)))
    stream = io.BytesIO()
    assert catalog_export(actor=outsider, department_id=dept.pk, stream=stream).resources == 0
    Resource.objects.filter(name="户籍迁移登记").update(state=ResourceState.PUBLISHED)
    assert catalog_export(actor=outsider, department_id=dept.pk, stream=io.BytesIO()).resources == 1


# --- commands -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_command(dept: Any, steward: Any, tmp_path: Path, capsys: Any) -> None:
    good = tmp_path / "good.xlsx"
    good.write_bytes(two_resources(dept).getvalue())
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([resource_row(dept, "居住证", **{"共享类型*": "有条件共享"})]).getvalue())

    with pytest.raises(CommandError) as exc:
        call_command("import_catalog", str(bad), "--as", "steward")
    assert exc.value.returncode == 1
    assert capsys.readouterr().out.splitlines() == [
        "资源!2 共享条件：有条件共享的资源未填写共享条件（CAT-5，依据：002 篇三 第十一条（赣府厅发〔2023〕12号））。填写具体的共享条件（如：仅限办理社保业务的部门使用）"
    ]

    call_command("import_catalog", str(good), "--as", "steward", "--dry-run")
    assert "将新建 2" in capsys.readouterr().out and Resource.objects.count() == 0

    call_command("import_catalog", str(good), "--as", "steward")
    assert capsys.readouterr().out.strip() == "新建 2、更新 0、未变 0（信息项 4 条）"
    call_command("import_catalog", str(good), "--as", "steward")
    assert capsys.readouterr().out.strip() == "新建 0、更新 0、未变 2（信息项 4 条）"

    with pytest.raises(CommandError) as exc:
        call_command("import_catalog", str(good), "--as", "nobody")
    assert exc.value.returncode == 2 and "nobody" in str(exc.value)


@pytest.mark.django_db
def test_export_command(dept: Any, steward_actor: Any, tmp_path: Path, capsys: Any) -> None:
    assert catalog_import(actor=steward_actor, file=two_resources(dept)).ok
    out = tmp_path / "export.xlsx"
    call_command("export_catalog", "--department", dept.uscc, "-o", str(out))
    assert "资源 2 个、信息项 4 条" in capsys.readouterr().out
    report = catalog_import(actor=SYSTEM, file=out)
    assert report.ok and report.unchanged == 2
    with pytest.raises(CommandError) as exc:
        call_command("export_catalog", "--department", "91370300MA3C000000", "-o", str(out))
    assert exc.value.returncode == 2


# --- the streaming reader -------------------------------------------------------------------------


def _raw_xlsx(
    sheet_xml: str, *, shared: str = "", styles: str = "", workbook_pr: str = "", prefix: str = ""
) -> bytes:
    """A minimal package written by hand, as other spreadsheet programs write them."""
    import zipfile

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    x = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{ns}"' if prefix else f'xmlns="{ns}"'
    parts = {
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<{x}workbook {xmlns} xmlns:r="{rel}">{workbook_pr}<{x}sheets>'
        f'<{x}sheet name="资源" sheetId="1" r:id="rId1"/></{x}sheets></{x}workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="/xl/worksheets/s1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        "xl/worksheets/s1.xml": f"<{x}worksheet {xmlns}><{x}sheetData>{sheet_xml}</{x}sheetData></{x}worksheet>",
        "xl/sharedStrings.xml": f"<{x}sst {xmlns}>{shared}</{x}sst>",
        "xl/styles.xml": f"<{x}styleSheet {xmlns}>{styles}</{x}styleSheet>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return out.getvalue()


STYLES = (
    '<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
    '</numFmts><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/><xf numFmtId="31"/>'
    '<xf numFmtId="2"/></cellXfs>'
)


@pytest.mark.parametrize("prefix", ["", "x"])
def test_reader_handles_what_excel_and_wps_write(prefix: str) -> None:
    from sanbu.catalog.xlsxread import XlsxReader

    x = f"{prefix}:" if prefix else ""
    shared = (
        f"<{x}si><{x}t>有条件共享</{x}t></{x}si>"
        f"<{x}si><{x}r><{x}t>常住</{x}t></{x}r><{x}r><{x}t>人口</{x}t></{x}r><{x}rPh><{x}t>ジン</{x}t></{x}rPh></{x}si>"
    )
    sheet = (
        f'<{x}row r="1"><{x}c r="A1" t="s"><{x}v>0</{x}v></{x}c><{x}c r="C1" t="s"><{x}v>1</{x}v></{x}c></{x}row>'
        f'<{x}row r="4"><{x}c t="b"><{x}v>1</{x}v></{x}c><{x}c s="1"><{x}v>45352</{x}v></{x}c>'
        f'<{x}c s="2"><{x}v>45352</{x}v></{x}c><{x}c s="3"><{x}v>45352</{x}v></{x}c>'
        f'<{x}c s="4"><{x}v>18</{x}v></{x}c><{x}c><{x}v>2.5</{x}v></{x}c>'
        f'<{x}c t="str"><{x}f>A1</{x}f><{x}v>公式</{x}v></{x}c><{x}c t="inlineStr"><{x}is><{x}t>行内</{x}t></{x}is></{x}c>'
        f'<{x}c r="AA4" t="s"><{x}v>0</{x}v></{x}c></{x}row>'
    )
    data = _raw_xlsx(sheet, shared=shared, styles=STYLES.replace("<", f"<{x}").replace(f"<{x}/", f"</{x}"),
                     prefix=prefix)  # fmt: skip
    with XlsxReader(io.BytesIO(data)) as book:
        assert book.sheetnames == ["资源"]
        rows = list(book.iter_rows("资源", 9))
    day = datetime(2024, 3, 1)
    assert rows == [
        (1, ("有条件共享", None, "常住人口", None, None, None, None, None, None)),
        (4, (True, day, day, day, 18, 2.5, "公式", "行内", None)),
    ]


def test_reader_1904_dates() -> None:
    from sanbu.catalog.xlsxread import XlsxReader

    data = _raw_xlsx('<row r="1"><c r="A1" s="1"><v>43890</v></c></row>', styles=STYLES,
                     workbook_pr='<workbookPr date1904="1"/>')  # fmt: skip
    with XlsxReader(io.BytesIO(data)) as book:
        assert list(book.iter_rows("资源", 1)) == [(1, (datetime(2024, 3, 1),))]


def test_reader_agrees_with_openpyxl() -> None:
    from sanbu.catalog.xlsxread import XlsxReader

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "资源"
    ws.append(["文本", 1, 2.25, True, False, None, "  空格  ", "=1+1"])
    ws.append([datetime(2024, 3, 1), date(2023, 12, 31), -5, 10**12, "是", "C 字符型"])
    ws["B3"] = date(2020, 2, 29)
    ws["B3"].number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    book_ = openpyxl.load_workbook(out, read_only=True, data_only=True)
    expected = list(book_.active.iter_rows(max_col=8, values_only=True))
    with XlsxReader(out) as book:
        assert [values for _, values in book.iter_rows("资源", 8)] == expected


# --- more import paths ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_from_an_upload(dept: Any, steward_actor: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("目录.xlsx", two_resources(dept).getvalue())
    report = catalog_import(actor=steward_actor, file=upload)
    assert report.ok and report.created == 2


@pytest.mark.django_db
def test_same_name_for_two_providers_needs_the_code_in_item_rows(
    dept: Any, other_dept: Any, authority_actor: Any
) -> None:
    code = f"300000{dept.jurisdiction_id}/000500"
    rows = [
        resource_row(dept, "行政许可信息", **{"信息资源代码": code}),
        resource_row(other_dept, "行政许可信息"),
    ]
    report = catalog_import(
        actor=authority_actor, file=workbook(rows, [item_row("行政许可信息", "许可证编号")])
    )
    assert [e.code for e in report.errors] == ["import.item.ambiguous"]
    assert "信息资源代码" in report.errors[0].message
    report = catalog_import(actor=authority_actor, file=workbook(rows, [item_row(code, "许可证编号")]))
    assert report.ok and report.created == 2, report.lines()
    assert [i.name for i in Resource.objects.get(code=code).items.all()] == ["许可证编号"]


@pytest.mark.django_db
def test_inactive_provider(dept: Any, authority_actor: Any) -> None:
    dept.is_active = False
    dept.save()
    report = catalog_import(actor=authority_actor, file=workbook([resource_row(dept, "甲")]))
    assert [e.code for e in report.errors] == ["import.provider.inactive"]


def test_commands_exit_codes_in_a_real_process(tmp_path: Path) -> None:
    """The console script itself: errors → exit 1 with ``<sheet>!<row>`` lines; unknown user or USCC → 2."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATASTORE_URL")}
    env.update(SANBU_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="sanbu.config.settings.test",
               DJANGO_SUPERUSER_PASSWORD="bench-pass-1234")  # fmt: skip

    def sanbu(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "sanbu.manage", *args]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)

    assert sanbu("migrate", "-v0").returncode == 0
    assert (
        sanbu("createsuperuser", "--noinput", "--username", "boss", "--email", "b@example.cn").returncode == 0
    )
    csv = tmp_path / "catalog.csv"
    csv.write_text("信息资源名称,资源分类\n", encoding="utf-8")
    bad = sanbu("import_catalog", str(csv), "--as", "boss")
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        "文件!1 文件不是 Excel 工作簿（.xlsx）：请下载平台提供的目录模板，填写后按 .xlsx 格式保存再导入。"
    ]
    assert sanbu("import_catalog", str(csv), "--as", "nobody").returncode == 2
    assert (
        sanbu(
            "export_catalog", "--department", "91370300MA3C000000", "-o", str(tmp_path / "o.xlsx")
        ).returncode
        == 2
    )
