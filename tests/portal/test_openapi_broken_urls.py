"""A URL configuration with a deliberately broken API (used by test_openapi to prove that the schemathesis
run fails on a 5xx and on an answer that breaks the schema; no tests here)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.urls import urlpatterns as project_urls


class Count(serializers.Serializer):
    count = serializers.IntegerField()


class CrashingView(APIView):
    @extend_schema(request=Count, responses={201: Count})
    def post(self, request):
        raise RuntimeError("a bug: every POST answers 500")


class NonConformingView(APIView):
    @extend_schema(responses={200: Count})
    def get(self, request):
        return Response({"count": "not a number"})  # the schema promises an integer


urlpatterns = [
    path("api/v1/broken/crash/", CrashingView.as_view()),
    path("api/v1/broken/non-conforming/", NonConformingView.as_view()),
    *project_urls,
]
