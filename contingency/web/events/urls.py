"""The SoLR event pages under /events/, namespace ``events`` (the names are the events contract of issue 9:
events:list, events:detail, events:evidence, events:record-revocation, events:record-deferral,
events:record-instruction, events:activation-request, events:activation-action; events:chart, the detail page's
chart partial that the page re-fetches, issue 11 point 8)."""

from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/chart/", views.event_chart, name="chart"),
    path("<int:pk>/evidence/", views.evidence_download, name="evidence"),
    path("<int:pk>/activation/", views.activation_request, name="activation-request"),
    path("activations/<int:pk>/<str:action>/", views.activation_action, name="activation-action"),
    path("licence-revocations/new/", views.record_revocation, name="record-revocation"),
    path("licence-revocations/<int:pk>/deferral/", views.record_deferral, name="record-deferral"),
    path("instructions/new/", views.record_instruction, name="record-instruction"),
]
