"""The account endpoint of the people's API: who the caller is (what a script checks its token with)."""

from __future__ import annotations

from django_otp import user_has_device
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import Office

from . import services


class AccountOfficeSerializer(serializers.ModelSerializer):
    # Plain strings here (the values of portal.choices): the offices endpoints name the office enums.
    kind = serializers.CharField()
    status = serializers.CharField()
    party = serializers.CharField(source="party.name")
    party_short_name = serializers.CharField(source="party.short_name")

    class Meta:
        model = Office
        fields = ["kind", "party", "party_short_name", "status"]


class AccountSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    offices = AccountOfficeSerializer(many=True)
    second_factor_required = serializers.BooleanField()
    second_factor_enrolled = serializers.BooleanField()
    authenticated_by = serializers.ChoiceField(choices=["token", "session"])


class AccountView(APIView):
    """GET /api/v1/account/: the signed-in person, their offices and second-factor state."""

    serializer_class = AccountSerializer

    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "name": user.get_full_name(),
            "offices": Office.objects.filter(person=user).select_related("party"),
            "second_factor_required": services.office_requires_second_factor(user),
            "second_factor_enrolled": user_has_device(user, confirmed=True),
            "authenticated_by": "token" if request.auth is not None else "session",
        }
        return Response(AccountSerializer(data).data)
