"""A URL configuration with only some of the navigation's names (used by test_navigation)."""

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import path

from portal import views


def _page(request):
    return render(request, "base.html")


urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("offices/", _page, name="offices"),
]
