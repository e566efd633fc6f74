"""Filters of the ADT file lists (django-filter), shared by the pages (contingency/web) and the people's API
(contingency/api), which may not import each other (docs/architecture.md)."""

from __future__ import annotations

import django_filters

from portal.models import Party

from ..models import AdtFile, AdtFileState
from .services import visible_adt_files


def _visible_parties(request):
    """Only the Parties whose files the person sees: the choice lists no other Party's name."""
    if request is None:
        return Party.objects.none()
    return Party.objects.filter(pk__in=visible_adt_files(request.user).values("party_id")).order_by("name")


class AdtFileFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AdtFileState.choices, empty_label="Any state")
    party = django_filters.ModelChoiceFilter(queryset=_visible_parties, to_field_name="short_name",
                                             empty_label="Any Party", label="Party")

    class Meta:
        model = AdtFile
        fields = ["state", "party"]
