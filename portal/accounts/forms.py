"""Forms for the account pages. They validate input; the rules are in services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm


class CodeForm(forms.Form):
    """The second factor's code: ``<input name="otp_token">`` (issue 8 point 2)."""

    otp_token = forms.CharField(
        label="Authentication code", min_length=6, max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9]*", "autofocus": True}),
        help_text="The 6-digit code your authenticator app shows now.",
    )

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError("the code is digits only", code="otp-invalid")
        return token


class EnrolForm(CodeForm):
    device = forms.IntegerField(widget=forms.HiddenInput)


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form (old password checked, the new one twice, Django's validators); ``save()`` is not used:
    the view calls services.change_password, which audits."""
