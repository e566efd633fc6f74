"""SMKI repository routes (included at the site root by portal/urls.py)."""

from django.urls import path, re_path

from . import views

app_name = "pki"

urlpatterns = [
    path("smki/", views.index, name="index"),
    path("smki/certificates", views.certificate_search, name="certificate-search"),
    re_path(r"^smki/certificates/(?P<serial>[0-9]{1,50})\.pem$", views.certificate_pem, name="certificate-pem"),
    re_path(r"^smki/certificates/(?P<serial>[0-9]{1,50})\.der$", views.certificate_der, name="certificate-der"),
    path("smki/crl", views.crl, name="crl"),
    re_path(r"^smki/ca/(?P<name>[-a-z0-9_]+)\.(?P<fmt>pem|der)$", views.ca_certificate, name="ca-certificate"),
]
