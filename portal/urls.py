from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The browsable documentation: Swagger UI from local files; the split view serves its start-up script as
    # a separate response (no inline script) and portal/swagger_ui.html drops the inline style, so the
    # Content-Security-Policy needs no exception. A page: anyone not signed in is sent to sign in.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", template_name="portal/swagger_ui.html")), name="api-docs"),
    # The people's API: each app mounts its own endpoints (imports stay one way: named by string).
    path("api/v1/", include("portal.api.urls")),
    path("api/v1/", include("pki.api.urls")),
    path("api/v1/", include("contingency.api.urls")),
    path("", include("portal.offices.urls")),
    path("", include("portal.web.urls")),  # User IDs and their endpoint URLs (issue 9 point 8)
    path("", include("portal.accounts.urls")),
    path("", include("pki.urls")),
    path("", include("pki.web.urls")),  # certificate pages of the Party portal (issue 8 point 6)
    path("", include("contingency.urls")),
]
