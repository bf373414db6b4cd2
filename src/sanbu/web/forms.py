"""Forms of the pages. They only convert what was typed into the typed inputs the services take;
the one validation (``catalog.inputs.validate_resource`` inside the service) decides what is wrong, so the
page, the API and the Excel import give the same Chinese messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from sanbu.catalog import codes
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import (
    CatalogClass,
    DataGrade,
    DataType,
    Masking,
    Resource,
    ResourceFormat,
    Secrecy,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from sanbu.catalog.services import ITEM_FIELDS
from sanbu.core.errors import FieldError


def _required(*fields: forms.Field) -> None:
    for f in fields:
        f.sanbu_required = True  # type: ignore[attr-defined]


def _blank(choices: Any, label: str = "请选择") -> list[tuple[str, str]]:
    return [("", label), *[(str(v), str(lbl)) for v, lbl in choices]]


class LoginForm(AuthenticationForm):
    """Chinese labels and messages; says nothing about configuration or accounts."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入。"),
        "inactive": _("该账号已停用，请联系平台管理员。"),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["username"].error_messages["required"] = _("请输入用户名。")
        self.fields["password"].label = _("密码")
        self.fields["password"].error_messages["required"] = _("请输入密码。")


class ResourceForm(forms.Form):
    """The resource's metadata, as in the template's 资源 sheet."""

    name = forms.CharField(
        label="信息资源名称", required=False, widget=forms.TextInput(attrs={"maxlength": 80})
    )
    code = forms.CharField(
        label="信息资源代码", required=False, help_text="留空由平台按 类+项+目/顺序码 生成。",
        widget=forms.TextInput(attrs={"placeholder": "留空自动生成"}),
    )  # fmt: skip
    catalog_class = forms.ChoiceField(label="资源分类", required=False, choices=_blank(CatalogClass.choices))
    subclass = forms.CharField(
        label="资源子类", required=False, help_text="如 人口、法人单位、电子证照、社会保障。",
        widget=forms.TextInput(attrs={"list": "subclass-options"}),
    )  # fmt: skip
    summary = forms.CharField(label="信息资源摘要", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    format = forms.ChoiceField(label="资源格式", required=False, choices=_blank(ResourceFormat.choices))
    share_type = forms.ChoiceField(label="共享类型", required=False, choices=_blank(ShareType.choices))
    share_condition = forms.CharField(label="共享条件", required=False, help_text="有条件共享时必填。")
    no_share_basis = forms.CharField(
        label="不予共享依据", required=False, help_text="不予共享时必填：法律、行政法规或国务院决定。"
    )
    share_method = forms.ChoiceField(label="共享方式", required=False, choices=_blank(ShareMethod.choices))
    open_to_public = forms.BooleanField(label="向社会开放", required=False)
    open_condition = forms.CharField(label="开放条件", required=False)
    update_cycle = forms.ChoiceField(label="更新周期", required=False, choices=_blank(UpdateCycle.choices))
    release_date = forms.DateField(
        label="发布日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "发布日期格式应为 YYYY-MM-DD。"},
    )  # fmt: skip
    secrecy = forms.ChoiceField(
        label="涉密属性", required=False, choices=Secrecy.choices, initial=Secrecy.NON_SECRET
    )
    data_grade = forms.ChoiceField(
        label="数据级别", required=False, choices=DataGrade.choices, initial=DataGrade.GENERAL
    )
    source_system = forms.CharField(label="来源信息系统", required=False)
    related_codes = forms.CharField(label="关联资源代码", required=False, help_text="多个用英文分号分隔。")

    def __init__(self, *args: Any, departments: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        f = self.fields
        _required(f["name"], f["catalog_class"], f["subclass"], f["summary"], f["format"], f["share_type"],
                  f["share_method"], f["update_cycle"], f["secrecy"], f["data_grade"])  # fmt: skip
        if departments is not None:
            self.fields["department"] = forms.TypedChoiceField(
                label="信息资源提供方", coerce=int, required=True,
                choices=_blank([(d.pk, d.name) for d in departments], "请选择提供方部门"),
                error_messages={"required": "请选择提供方部门。", "invalid_choice": "请选择列表中的部门。"},
            )  # fmt: skip
            _required(self.fields["department"])
            self.order_fields(["department"])

    def to_input(self, items: list[ItemInput]) -> ResourceInput:
        d = self.cleaned_data
        return ResourceInput(
            name=d["name"], code=d["code"], catalog_class=d["catalog_class"], subclass=d["subclass"],
            summary=d["summary"], format=d["format"], share_type=d["share_type"],
            share_condition=d["share_condition"], no_share_basis=d["no_share_basis"],
            share_method=d["share_method"], open_to_public=d["open_to_public"],
            open_condition=d["open_condition"], update_cycle=d["update_cycle"],
            release_date=d["release_date"], secrecy=d["secrecy"] or Secrecy.NON_SECRET,
            data_grade=d["data_grade"] or DataGrade.GENERAL, source_system=d["source_system"],
            related_codes=d["related_codes"], items=items,
        )  # fmt: skip

    @staticmethod
    def initial_from(resource: Resource) -> dict[str, Any]:
        names = [
            "name", "code", "catalog_class", "subclass", "summary", "format", "share_type", "share_condition",
            "no_share_basis", "share_method", "open_to_public", "open_condition", "update_cycle", "release_date",
            "secrecy", "data_grade", "source_system", "related_codes",
        ]  # fmt: skip
        return {n: getattr(resource, n) for n in names}

    @staticmethod
    def subclass_options() -> list[str]:
        return [*codes.BASE_SUBCLASSES, *codes.THEME_SUBCLASSES]


class ItemForm(forms.Form):
    """One information item (信息项), a row of the item table."""

    name = forms.CharField(label="信息项名称", required=False)
    element = forms.CharField(
        label="引用数据元",
        required=False,
        widget=forms.TextInput(attrs={"list": "element-options", "placeholder": "名称或标识符"}),
    )
    data_type = forms.ChoiceField(
        label="数据类型", required=False, choices=DataType.choices, initial=DataType.C
    )
    length = forms.IntegerField(
        label="长度", required=False, min_value=1, widget=forms.NumberInput(attrs={"style": "width:6em"}),
        error_messages={"invalid": "数据长度应为正整数。", "min_value": "数据长度应为正整数。"},
    )  # fmt: skip
    is_key = forms.BooleanField(label="主键", required=False)
    is_authoritative = forms.BooleanField(label="权威来源", required=False)
    share_type = forms.ChoiceField(
        label="共享类型", required=False, choices=_blank(ShareType.choices, "同资源")
    )
    share_condition = forms.CharField(label="共享条件", required=False)
    masking = forms.ChoiceField(
        label="脱敏方式", required=False, choices=Masking.choices, initial=Masking.NONE
    )

    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("name") or "").strip()

    def to_input(self) -> ItemInput:
        d = self.cleaned_data
        return ItemInput(
            name=d["name"], data_type=d["data_type"] or DataType.C, length=d["length"], element=d["element"],
            is_key=d["is_key"], is_authoritative=d["is_authoritative"], share_type=d["share_type"],
            share_condition=d["share_condition"], masking=d["masking"] or Masking.NONE,
        )  # fmt: skip


ItemFormSet = forms.formset_factory(ItemForm, extra=0, can_delete=True)


def initial_items(resource: Resource) -> list[dict[str, Any]]:
    return [
        {**{f: getattr(i, f) for f in ITEM_FIELDS}, "element": i.element.name if i.element else ""}
        for i in resource.items.select_related("element").order_by("position", "id")
    ]


def collect_items(formset: Any) -> tuple[list[ItemInput], list[int]]:
    """The filled, not deleted rows as inputs, and for each the index of its form (to place errors)."""
    items: list[ItemInput] = []
    where: list[int] = []
    for idx, form in enumerate(formset.forms):
        if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE") or form.is_blank():
            continue
        items.append(form.to_input())
        where.append(idx)
    return items, where


def place_errors(
    form: forms.Form, formset: Any, where: list[int], errors: list[FieldError]
) -> list[FieldError]:
    """Put each service field error next to its field; return the ones with no field on the page."""
    import re

    left: list[FieldError] = []
    item_re = re.compile(r"^items\[(\d+)\]\.(\w+)$")
    for e in errors:
        m = item_re.match(e.field)
        if m:
            pos, name = int(m.group(1)) - 1, m.group(2)
            if 0 <= pos < len(where):
                target = formset.forms[where[pos]]
                if name in target.fields:
                    target.add_error(name, e.message)
                    continue
        elif e.field in form.fields:
            blank = e.code == "invalid_choice" and not form.cleaned_data.get(e.field)
            form.add_error(e.field, f"请选择{form.fields[e.field].label}。" if blank else e.message)
            continue
        left.append(e)
    return left
