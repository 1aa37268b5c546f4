from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ChargingMode, Holding, Lifecycle, Product

if TYPE_CHECKING:
    HoldingModelForm = forms.ModelForm[Holding]
else:  # ModelForm is not subscriptable at runtime
    HoldingModelForm = forms.ModelForm


def style(form: forms.BaseForm) -> None:
    """Tabler classes on every widget (no template tag needed)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class HoldingForm(HoldingModelForm):
    class Meta:
        model = Holding
        fields = ["product", "quantity", "start", "end", "monthly_revenue", "payment_mode", "notes"]
        widgets = {"start": forms.DateInput(attrs={"type": "date"}), "end": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        product.queryset = Product.objects.filter(lifecycle=Lifecycle.LAUNCHED).order_by("platform", "code")  # type: ignore[attr-defined]
        product.label_from_instance = lambda p: f"{p.code} · {p.name}"  # type: ignore[attr-defined]
        self.fields["start"].required = False
        style(self)


class QuoteForm(forms.Form):
    quantity = forms.IntegerField(label=_("数量"), min_value=1, initial=100)
    charging_mode = forms.ChoiceField(label=_("计费方式"), choices=ChargingMode.choices, required=False)

    def __init__(self, *args: Any, modes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if modes is not None:
            field = self.fields["charging_mode"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(m, ChargingMode(m).label) for m in modes]
        style(self)
