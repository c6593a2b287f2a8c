"""The officer's list of campaigns and what can be done to a whole campaign from it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns import selectors, services
from campaigns.forms import CampaignCreateForm, DashboardFilterForm, RenameForm
from campaigns.models import Campaign
from campaigns.views.access import OfficerRequest, campaign_view

PAGE_SIZE = 10


@login_required
@require_safe
def dashboard(request: OfficerRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET)
    filters = form.filters()
    campaigns = selectors.dashboard_campaigns(request.user, **filters)
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "filtered": any(filters.values())}
    return render(request, "campaigns/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request: OfficerRequest) -> HttpResponse:
    form = CampaignCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        campaign = services.create_campaign(
            owner=request.user,
            name=form.cleaned_data["name"],
            channel=form.cleaned_data["channel"],
            protected=form.cleaned_data["protected"],
        )
        messages.success(request, f"Campaign “{campaign.name}” created. Now write the message.")
        return redirect("campaigns:template", pk=campaign.pk)
    return render(request, "campaigns/create.html", {"form": form})


@campaign_view
@require_http_methods(["GET", "POST"])
def rename(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    form = RenameForm(request.POST if request.method == "POST" else None, initial={"name": campaign.name})
    if request.method == "POST" and form.is_valid():
        services.rename_campaign(campaign=campaign, name=form.cleaned_data["name"])
        messages.success(request, f"Renamed to “{campaign.name}”.")
        return redirect("campaigns:dashboard")
    return render(request, "campaigns/rename.html", {"campaign": campaign, "form": form})


@campaign_view
@require_POST
def duplicate(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    copy = services.duplicate_campaign(campaign=campaign, by=request.user)
    messages.success(
        request, f"Copied as “{copy.name}”, a new draft with the same message and no recipients."
    )
    return redirect("campaigns:detail", pk=copy.pk)


@campaign_view
@require_POST
def delete(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    try:
        services.delete_campaign(campaign=campaign)
    except services.CampaignError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Deleted “{campaign.name}”.")
    return redirect("campaigns:dashboard")
