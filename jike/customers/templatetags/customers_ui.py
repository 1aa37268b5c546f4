"""Template helpers for the customer pages: optional includes, Tabler form fields, sortable headers."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.core.paginator import Page
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from jike.core.masking import phone_for

register = template.Library()


@register.filter
def phone(number: str, user: Any) -> str:
    """A phone number as this user may see it (masked unless the role needs it)."""
    return phone_for(user, number or "") if number else ""


def _css_class(field: forms.BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    return css + (" is-invalid" if field.errors else "")


@register.filter
def widget(field: forms.BoundField) -> SafeString:
    """The field's widget with Tabler classes (and is-invalid when it has errors)."""
    return field.as_widget(attrs={"class": _css_class(field)})


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, field: str, label: str) -> SafeString:
    """A column header that toggles ordering by `field`, keeping the other filters (HTMX-aware)."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == field:
        params["ordering"], arrow = "-" + field, " ▲"
    elif current == "-" + field:
        params["ordering"], arrow = field, " ▼"
    else:
        params["ordering"], arrow = "-" + field, ""
    url = f"{request.path}?{params.urlencode()}"
    return format_html(
        '<a href="{}" hx-get="{}" hx-target="#customer-table" hx-push-url="true" class="table-sort-link">{}{}</a>',
        url,
        url,
        label,
        arrow,
    )


@register.filter
def page_window(page: Page[Any]) -> list[int | None]:
    """Page numbers around the current page with None for the gaps (never the full range)."""
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return [n if isinstance(n, int) else None for n in numbers]


@register.simple_tag
def model_options(bound: forms.BoundField) -> SafeString:
    """<option>s for a filter's model queryset, built in Python: a province user's staff and grid
    dropdowns hold over a thousand entries, which cost ~60 ms per page as template loops and still
    ~20 ms with format_html per option; one escape() per label and a join cost ~1 ms."""
    from html import escape

    selected = str(bound.value() or "")
    queryset = bound.field.queryset  # type: ignore[attr-defined]
    model = queryset.model
    if hasattr(model, "full_name"):
        rows: Any = ((pk, full or user) for pk, full, user in queryset.values_list("pk", "full_name", "username"))
    else:
        rows = queryset.values_list("pk", "name")
    html = "".join(
        f'<option value="{pk}"{" selected" if str(pk) == selected else ""}>{escape(str(label))}</option>'
        for pk, label in rows
    )
    return mark_safe(html)  # pk is an integer, every label is escaped
