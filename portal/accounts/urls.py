"""The account pages, included from portal/urls.py. URL names are the ones the navigation looks for."""

from django.urls import path

from . import views

urlpatterns = [
    path("login/code/", views.otp_verify, name="otp-verify"),
    path("account/", views.account, name="account"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/second-factor/", views.otp_enrol, name="otp-enrol"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/revoke/", views.token_revoke, name="token-revoke"),
    path("lockouts/", views.lockouts, name="lockouts"),
]
