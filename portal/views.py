from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from .home import panels_for
from .models import Office, Party


@login_required
def home(request):
    """The person's home page: their offices, then what waits for them (the panels registered by the apps,
    see portal.home), then the Suppliers whose licence is revoked."""
    offices = Office.objects.filter(person=request.user).select_related("party")
    failed = Party.objects.licence_revoked()
    return render(request, "portal/home.html", {
        "offices": offices, "panels": panels_for(request.user), "failed_suppliers": failed,
    })


class SignOutView(auth_views.LogoutView):
    """``GET /logout/`` shows a page whose form POSTs; the POST signs out (Django's LogoutView).

    Django 5 signs out on POST only, so that a link or an image on another site cannot sign anyone out;
    without a GET a typed or bookmarked /logout/ gave an empty 405.
    """

    http_method_names = ["get", "post", "options"]
    confirm_template_name = "registration/logout.html"

    def get(self, request, *args, **kwargs):
        return render(request, self.confirm_template_name)


def healthz(request):
    """Liveness for the run command and load balancers: the web process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
