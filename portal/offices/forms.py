"""The offices' forms: they check the shape of the input only; the rules are in ``services``."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator

from portal.models import OfficeStatus, Party

NEW, EXISTING = "new", "existing"


class NominationForm(forms.Form):
    party = forms.ModelChoiceField(queryset=Party.objects.none(), label="Party")
    nominee = forms.ChoiceField(
        choices=[(NEW, "A new person"), (EXISTING, "A person who already has an account")],
        widget=forms.RadioSelect, initial=NEW, label="Who is nominated")
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()], label="Username",
                               help_text="For an existing person: their username, as registered.")
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    email = forms.EmailField(label="Email", help_text="For an existing person: their email, as registered.")
    screening_reference = forms.CharField(max_length=100, label="Screening evidence reference",
                                          help_text="Your reference of the evidence that the nominee was screened.")
    screening_date = forms.DateField(label="Screening date", widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text="YYYY-MM-DD")

    def __init__(self, *args, parties=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties if parties is not None else Party.objects.none()
        if parties is not None and parties.count() == 1:
            self.fields["party"].initial = parties.first().pk
        self.fields["username"].max_length = get_user_model()._meta.get_field("username").max_length

    def clean(self):
        data = super().clean()
        if data.get("nominee") == NEW:
            for name in ("first_name", "last_name"):
                if not data.get(name, "").strip():
                    self.add_error(name, forms.ValidationError("A new person needs this.", code="required"))
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Reason for rejection")


class OfficeFilterForm(forms.Form):
    party = forms.ModelChoiceField(queryset=Party.objects.none(), required=False, label="Party",
                                   empty_label="All Parties")
    status = forms.ChoiceField(choices=[("", "Any status"), *OfficeStatus.choices], required=False, label="Status")

    def __init__(self, *args, parties=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties if parties is not None else Party.objects.none()
