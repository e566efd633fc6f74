from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from .models import Office, Party, PartyKind


@login_required
def home(request):
    offices = Office.objects.filter(person=request.user).select_related("party")
    failed = Party.objects.filter(kind=PartyKind.SUPPLIER, licence_status="revoked")
    return render(request, "portal/home.html", {"offices": offices, "failed_suppliers": failed})


def healthz(request):
    """Liveness for the run command and load balancers: the web process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
