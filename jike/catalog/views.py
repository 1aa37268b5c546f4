"""Catalog pages: browse with filters, product detail with price bands and a quote calculator, and the
holding form reached from the customer page. Thin: reads through filtersets, writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from jike.core.errors import BusinessRuleError
from jike.customers.models import Customer
from jike.web.registry import can_change

from . import services
from .filtersets import ProductFilterSet
from .forms import HoldingForm, QuoteForm, style
from .models import Holding, Product


def customer_url(customer: Customer) -> str:
    try:
        return reverse("customers:detail", args=[customer.pk])
    except NoReverseMatch:  # the customer pages are another app's; fall back to the catalog
        return reverse("catalog:list")


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    fs = ProductFilterSet(request.GET or None, queryset=Product.objects.prefetch_related("regions", "price_bands"))
    style(fs.form)
    page = Paginator(fs.qs.order_by("platform", "code"), 100).get_page(request.GET.get("page"))
    return render(request, "catalog/product_list.html", {"filter": fs, "page": page})


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(
        Product.objects.prefetch_related(
            "regions", "price_bands", "bundle_items__component", "solution_components__product", "sub_products"
        ),
        pk=pk,
    )
    modes = list(dict.fromkeys(b.charging_mode for b in product.price_bands.all()))
    return render(
        request,
        "catalog/product_detail.html",
        {"product": product, "quote_form": QuoteForm(modes=modes) if modes else None},
    )


@login_required
def product_quote(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX partial: the quote for a quantity (or the reason there is none)."""
    product = get_object_or_404(Product, pk=pk)
    form = QuoteForm(request.GET)
    quote, error = None, ""
    if form.is_valid():
        try:
            quote = services.price_for(
                product, form.cleaned_data["quantity"], form.cleaned_data.get("charging_mode") or None
            )
        except BusinessRuleError as exc:
            error = exc.message
    else:
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(request, "catalog/_quote.html", {"quote": quote, "error": error})


@login_required
def holding_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.restrict(request.user), pk=customer_pk)
    form = HoldingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not (k == "start" and v is None)}
        try:
            services.add_holding(request.user, customer, **data)  # type: ignore[arg-type]
        except BusinessRuleError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已添加在用产品"))
            return redirect(customer_url(customer))
    return render(
        request,
        "catalog/holding_form.html",
        {"form": form, "customer": customer, "cancel_url": customer_url(customer)},
    )


@login_required
def holding_end(request: HttpRequest, pk: int) -> HttpResponse:
    holding = get_object_or_404(Holding.objects.restrict(request.user).select_related("customer"), pk=pk)
    if request.method == "POST":
        try:
            services.end_holding(request.user, holding)  # type: ignore[arg-type]
            messages.success(request, _("已终止该产品"))
        except BusinessRuleError as exc:
            messages.error(request, exc.message)
    return redirect(customer_url(holding.customer))


def holdings_panel(request: HttpRequest, customer: Any) -> str:
    """Customer 360 panel: the customer's active holdings and the roll-up over its group."""
    holdings = list(Holding.objects.active().restrict(request.user).filter(customer=customer).select_related("product"))
    # Most customers have no subsidiaries: one EXISTS instead of the roll-up's three queries.
    has_group = getattr(customer, "has_children", None)  # read with the customer on the 360 page
    if has_group is None:
        has_group = Customer.objects.filter(parent_id=customer.pk).exists()
    rollup = services.holdings_rollup(customer, request.user) if has_group else None
    can_write = can_change(request, customer)
    return render_to_string(
        "catalog/_panel.html",
        {
            "customer": customer,
            "holdings": holdings,
            "total": sum(h.monthly_revenue for h in holdings),
            "rollup": rollup,
            "show_rollup": rollup is not None and rollup["units"] > 1,
            "can_write": can_write,
        },
        request=request,
    )
