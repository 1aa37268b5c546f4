"""Column mapping: the headers BOSS/CRM exports use, English field names, and user overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jike.customers.importers.errors import FileProblem


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


CUSTOMER_FIELDS = [
    Field("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码", "集团统一社会信用代码"), required=True),
    Field("name", "集团名称", ("客户名称", "集团客户名称", "单位名称"), required=True),
    Field("short_name", "简称", ("集团简称", "客户简称")),
    Field("industry", "行业", ("行业类别", "所属行业")),
    Field("ownership", "所有制性质", ("单位性质", "企业性质")),
    Field("address", "地址", ("单位地址", "详细地址", "注册地址")),
    Field("city", "归属市公司", ("地市", "归属地市", "市公司")),
    Field("grid", "网格", ("网格编码", "归属网格")),
    Field("legal_representative", "法定代表人", ("法人代表", "法人")),
    Field("main_business", "主营业务", ("经营范围",)),
    Field("employees", "员工数", ("员工人数", "职工人数")),
    Field("registered_capital", "注册资本", ("注册资本(万元)", "注册资本（万元）")),
    Field("monthly_spend", "月消费", ("月通信消费", "月通信消费(元)", "月均消费", "ARPU")),
    Field("payment_ability", "支付能力", ()),
    Field("status", "状态", ("客户状态",)),
    Field("agreement_start", "协议开始", ("协议开始日期", "签约日期")),
    Field("agreement_end", "协议到期", ("协议到期日期", "协议结束", "协议结束日期")),
    Field("parent", "上级单位信用代码", ("上级单位", "上级集团信用代码")),
    Field("strategic", "战略客户", ()),
    Field("industry_influence", "行业影响力", ("行业影响力(1-5)",)),
]

MEMBER_FIELDS = [
    Field("credit_code", "统一社会信用代码", ("信用代码", "集团统一社会信用代码", "集团信用代码")),
    Field("customer_id", "集团编码", ("客户编号", "集团编号")),
    Field("msisdn", "手机号码", ("号码", "服务号码", "成员号码", "手机号"), required=True),
    Field("name", "姓名", ("成员姓名", "用户姓名")),
    Field("department", "部门", ("所在部门",)),
    Field("is_key_person", "关键人", ("是否关键人",)),
    Field("join_date", "入网日期", ("入网时间", "加入日期")),
    Field("leave_date", "离网日期", ("离网时间",)),
    Field("status", "状态", ("成员状态", "用户状态")),
    Field("payment_mode", "付费方式", ("付费类型", "支付方式")),
    Field("unit_share", "单位承担比例", ("单位承担比例(%)", "单位承担比例（%）", "集团承担比例")),
]

FIELDS = {"customers": CUSTOMER_FIELDS, "members": MEMBER_FIELDS}


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def resolve(kind: str, header: list[str], mapping: Mapping[str, str] | None = None) -> dict[str, int]:
    """{field name: column index} for this file's header.

    A header matches a field by the user's mapping {header: field}, else by the field's
    Chinese label, an alias, or its English name (case and spaces ignored).
    """
    fields = FIELDS[kind]
    by_name = {f.name: f for f in fields}
    lookup: dict[str, str] = {}
    for f in fields:
        for text in (f.name, f.label, *f.aliases):
            lookup.setdefault(_key(text), f.name)
    user = {_key(h): v for h, v in (mapping or {}).items()}
    for header_text, field_name in user.items():
        if field_name and field_name not in by_name:
            raise FileProblem("bad_mapping", f"列映射中的字段“{field_name}”不存在", column=header_text)
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        key = _key(text)
        if key in user:
            name = user[key]
            if not name:
                continue  # mapped to "" means: ignore this column
        else:
            name = lookup.get(key, "")
        if name and name not in columns:
            columns[name] = index
    missing = [f.label for f in fields if f.required and f.name not in columns]
    if kind == "members" and "credit_code" not in columns and "customer_id" not in columns:
        missing.insert(0, "统一社会信用代码 或 集团编码")
    if missing:
        raise FileProblem("missing_columns", "缺少必需的列：" + "、".join(missing), column="、".join(missing))
    return columns


def label(kind: str, field_name: str) -> str:
    for f in FIELDS[kind]:
        if f.name == field_name:
            return f.label
    return field_name
