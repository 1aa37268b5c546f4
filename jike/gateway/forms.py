"""Forms of the gateway pages. Lists are text areas (one entry a line); the services validate and
normalise them, and their messages land on the matching field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jike.catalog.forms import style
from jike.catalog.models import Product

from .models import ContentClass, ListKind, Ordering, Priority, SignatureMode
from .services import SYSTEM_ID_HELP, sms_products

LIST_FIELDS = ("allowed_ips", "blacklist", "whitelist", "keywords", "mo_addresses")


def _lines(value: Any) -> str:
    return "\n".join(value or [])


class SmsAccountForm(forms.Form):
    customer_code = forms.CharField(
        label=_("客户统一社会信用代码"), max_length=18, help_text=_("开户的集团客户（须在您的权限范围内）")
    )
    system_id = forms.CharField(label=_("账号(system_id)"), max_length=15, help_text=SYSTEM_ID_HELP)
    password = forms.CharField(
        label=_("密码"),
        widget=forms.PasswordInput(render_value=False),
        max_length=8,
        help_text=_("6-8位，仅保存其摘要"),
    )
    name = forms.CharField(label=_("应用名称"), max_length=64, required=False)
    product = forms.ModelChoiceField(
        label=_("短信产品"), queryset=Product.objects.none(), required=False, empty_label=_("（不计费）")
    )
    signature = forms.CharField(label=_("企业签名"), max_length=24, required=False, help_text=_("例如【合肥银行】"))
    signature_mode = forms.ChoiceField(label=_("签名方式"), choices=SignatureMode.choices, initial=SignatureMode.ADDED)
    rate = forms.IntegerField(label=_("流速(条/秒)"), min_value=1, max_value=5000, initial=50)
    daily_quota = forms.IntegerField(label=_("日限额(条，0为不限)"), min_value=0, initial=0)
    max_binds = forms.IntegerField(label=_("最大连接数"), min_value=1, max_value=64, initial=4)
    max_priority = forms.TypedChoiceField(
        label=_("最高优先级"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    ordering = forms.ChoiceField(
        label=_("下发顺序"),
        choices=Ordering.choices,
        initial=Ordering.DESTINATION,
        required=False,  # a client posting the older form keeps the default
        help_text=_("整个账号保序时账号的短信逐条下发，只适合低流量账号"),
    )
    content_class = forms.ChoiceField(label=_("默认内容类别"), choices=ContentClass.choices)
    allowed_ips = forms.CharField(
        label=_("允许的源IP"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("每行一个IP或网段，空为不限"),
    )
    mo_addresses = forms.CharField(
        label=_("服务号码"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("每行一个，如1065xxxx"),
    )
    whitelist_mode = forms.BooleanField(label=_("白名单模式（只发白名单号码）"), required=False)
    blacklist = forms.CharField(label=_("黑名单号码"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    whitelist = forms.CharField(label=_("白名单号码"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    keywords = forms.CharField(label=_("敏感词"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    notes = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.ModelChoiceField)
        product.queryset = Product.objects.filter(pk__in=[p.pk for p in sms_products()]).order_by("code")
        product.label_from_instance = lambda p: f"{p.code} · {p.name}"  # type: ignore[assignment]
        if editing:  # the customer and the system_id are fixed; the password has its own form
            for name in ("customer_code", "system_id", "password"):
                del self.fields[name]
        style(self)

    @classmethod
    def initial_for(cls, account: Any) -> dict[str, Any]:
        data = {
            name: getattr(account, name)
            for name in ("name", "signature", "signature_mode", "rate", "daily_quota", "max_binds", "max_priority",
                         "ordering", "content_class", "whitelist_mode", "notes")
        }  # fmt: skip
        data["product"] = account.product_id
        data.update({name: _lines(getattr(account, name)) for name in LIST_FIELDS})
        return data

    def clean_ordering(self) -> str:
        return str(self.cleaned_data.get("ordering") or Ordering.DESTINATION)

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("customer_code", "system_id", "password")}


class PasswordForm(forms.Form):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, max_length=8)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class RouteForm(forms.Form):
    # not `prefix`: that name is the form's own field-name prefix
    route_prefix = forms.CharField(label=_("号段前缀"), max_length=11, required=False, help_text=_("空为默认路由"))
    connectors = forms.CharField(label=_("连接（按切换顺序，逗号分隔）"), max_length=500)
    notes = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class ConnectorForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=64)
    host = forms.CharField(label=_("地址"), max_length=255)
    port = forms.IntegerField(label=_("端口"), min_value=1, max_value=65535, initial=2775)
    system_id = forms.CharField(label=_("登录账号"), max_length=15)
    password = forms.CharField(label=_("登录密码"), widget=forms.PasswordInput, max_length=8, required=False)
    binds = forms.IntegerField(label=_("连接数"), min_value=1, max_value=64, initial=1)
    window = forms.IntegerField(label=_("窗口"), min_value=1, max_value=4096, initial=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class GlobalListForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=ListKind.choices)
    values = forms.CharField(label=_("号码或词语（每行一个）"), widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)
