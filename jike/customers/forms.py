"""UI forms for customer files. They validate input and show messages next to fields; the write
itself always goes through jike.customers.services (see views.py), never `form.save()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jike.core.models import OrgLevel, OrgUnit, User
from jike.core.roles import Scope
from jike.customers.choices import PaymentMode
from jike.customers.models import Customer, KeyEvent, KeyPerson, Member
from jike.customers.validators import normalise_credit_code, normalise_mobile

if TYPE_CHECKING:
    CustomerModelForm = forms.ModelForm[Customer]
    KeyPersonModelForm = forms.ModelForm[KeyPerson]
    MemberModelForm = forms.ModelForm[Member]
    KeyEventModelForm = forms.ModelForm[KeyEvent]
else:  # ModelForm is not subscriptable at runtime
    CustomerModelForm = KeyPersonModelForm = MemberModelForm = KeyEventModelForm = forms.ModelForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the matching fields (unknown keys become form errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class CustomerForm(CustomerModelForm):
    """The editable profile of a customer file (counts, tier and scope path are not edited here)."""

    parent = forms.ModelChoiceField(
        queryset=Customer.objects.none(),
        required=False,
        label=_("上级单位"),
        widget=forms.NumberInput(attrs={"placeholder": _("上级单位编号")}),
        help_text=_("填写上级单位的客户编号，留空表示无上级"),
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "short_name",
            "credit_code",
            "industry",
            "ownership",
            "status",
            "grid",
            "address",
            "legal_representative",
            "main_business",
            "employees",
            "registered_capital",
            "monthly_spend",
            "payment_ability",
            "parent",
            "agreement_start",
            "agreement_end",
            "decision_process",
            "strategic",
            "industry_influence",
        ]
        widgets = {
            "agreement_start": DATE,
            "agreement_end": DATE,
            "decision_process": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only customers the user can see may be named as parent (the id is typed, not listed).
        self.fields["parent"].queryset = Customer.objects.restrict(user)  # type: ignore[attr-defined]
        if user.scope == Scope.TEAM:
            # Front-line staff do not move customers between territories.
            del self.fields["grid"]
        else:
            grids = OrgUnit.objects.filter(level=OrgLevel.GRID, path__startswith=self.instance.city.path)
            if user.scope == Scope.ORG and user.org_unit is not None:
                grids = grids.filter(path__startswith=user.org_unit.path)
            self.fields["grid"].queryset = grids  # type: ignore[attr-defined]

    def clean_credit_code(self) -> str:
        return normalise_credit_code(self.cleaned_data["credit_code"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("agreement_start"), data.get("agreement_end")
        if start and end and end < start:
            self.add_error("agreement_end", _("协议到期日期不能早于协议开始日期"))
        parent = data.get("parent")
        if parent is not None and parent.pk == self.instance.pk:
            self.add_error("parent", _("上级单位不能是客户自己"))
        return data


class KeyPersonForm(KeyPersonModelForm):
    mobile = forms.CharField(label=_("手机"), max_length=20, required=False)
    note = forms.CharField(
        label=_("态度变化说明"),
        max_length=255,
        required=False,
        help_text=_("态度变化时记录原因，例如“拜访后转为支持”"),
    )

    class Meta:
        model = KeyPerson
        fields = ["name", "title", "department", "decision_role", "influence", "attitude", "mobile", "notes", "active"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["note"]
        elif not user.sees_pii:
            # A role that sees masked numbers must not be shown (or overwrite) the real one.
            del self.fields["mobile"]

    def clean_mobile(self) -> str:
        return normalise_mobile(self.cleaned_data.get("mobile", ""))


class MemberForm(MemberModelForm):
    # Wider than the stored 11 digits so "+86 138-1234-5678" can be typed and normalised.
    msisdn = forms.CharField(label=_("手机号码"), max_length=20)

    class Meta:
        model = Member
        fields = [
            "msisdn",
            "name",
            "department",
            "is_key_person",
            "join_date",
            "leave_date",
            "status",
            "payment_mode",
            "unit_share",
        ]
        widgets = {"join_date": DATE, "leave_date": DATE}

    def clean_msisdn(self) -> str:
        return normalise_mobile(self.cleaned_data["msisdn"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("payment_mode") == PaymentMode.SPLIT and not data.get("unit_share"):
            self.add_error("unit_share", _("分账成员必须填写单位承担比例"))
        elif data.get("payment_mode") != PaymentMode.SPLIT:
            data["unit_share"] = None
        join, leave = data.get("join_date"), data.get("leave_date")
        if join and leave and leave < join:
            self.add_error("leave_date", _("离网日期不能早于入网日期"))
        return data


class KeyEventForm(KeyEventModelForm):
    class Meta:
        model = KeyEvent
        fields = ["date", "category", "title", "description"]
        widgets = {"date": DATE, "description": forms.Textarea(attrs={"rows": 3})}
