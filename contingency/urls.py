"""Pages of the contingency rooms (included at the site root by portal/urls.py). The URL names are the ones the
portal's navigation looks for (issue 8): ``adt-files``, ``adt-upload``, ``adt-file-detail``; the SoLR event pages
(issue 9) are under ``/events/``, namespace ``events`` (contingency/web/events/urls.py)."""

from django.urls import include, path

from .web import service_matrix, views

urlpatterns = [
    path("adt-files/", views.adt_files, name="adt-files"),
    path("adt-files/upload/", views.adt_upload, name="adt-upload"),
    path("adt-files/<int:pk>/", views.adt_file_detail, name="adt-file-detail"),
    path("events/", include("contingency.web.events.urls")),
    # Which DUIS User Role may send which SRV (issue 10 point 3; docs/service-matrix.md). DCC operators only.
    path("service-matrix/", service_matrix.service_matrix, name="service-matrix"),
    path("service-matrix/<str:role>/", service_matrix.service_matrix_role, name="service-matrix-role"),
    # The quarantine console (issue 10 point 9; docs/quarantine.md): quarantine:list, quarantine:detail.
    path("quarantine/", include("contingency.web.quarantine_urls")),
]
