"""The registry's pages (included at the site root by portal/urls.py)."""

from django.urls import path

from . import user_ids

urlpatterns = [
    path("user-ids/", user_ids.user_id_list, name="user-ids"),
    path("user-ids/<str:eui>/", user_ids.user_id_detail, name="user-id-detail"),
]
