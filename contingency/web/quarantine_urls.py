"""The quarantine console's pages under /quarantine/, namespace ``quarantine`` (issue 10 point 9; docs/quarantine.md):
quarantine:list, quarantine:detail."""

from django.urls import path

from . import quarantine

app_name = "quarantine"

urlpatterns = [
    path("", quarantine.quarantine_list, name="list"),
    path("<int:pk>/", quarantine.quarantine_detail, name="detail"),
]
