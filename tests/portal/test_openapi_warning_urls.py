"""A URL configuration with a view drf-spectacular cannot describe (used by test_openapi; no tests here)."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.urls import urlpatterns as project_urls


class Undescribed(APIView):
    def get(self, request):  # no serializer, no extend_schema: the schema generator warns
        return Response({})


urlpatterns = [path("api/v1/undescribed/", Undescribed.as_view()), *project_urls]
