"""Certificate pages of the Party portal, mounted at the site root by portal/urls.py. The names are the ones the
navigation looks for (issue 8): certificates, certificate-order, revocation-requests."""

from django.urls import path

from . import views

urlpatterns = [
    path("certificates/", views.certificate_list, name="certificates"),
    path("certificates/order/", views.certificate_order, name="certificate-order"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate-detail"),
    path("certificates/<int:pk>.pem", views.certificate_download, name="certificate-download"),
    path("certificates/<int:pk>/revocation/", views.revocation_request_new, name="certificate-revocation-request"),
    path("certificates/revocation-requests/", views.revocation_request_list, name="revocation-requests"),
    path("certificates/revocation-requests/<int:pk>/decide/", views.revocation_request_decide,
         name="revocation-request-decide"),
]
