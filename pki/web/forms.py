"""Forms of the certificate pages: they only read input; pki.orders.services decides."""

from __future__ import annotations

from django import forms

from ..models import CertificateKind, RevocationRequest

#: A CSR is a few hundred bytes; anything much larger is not one.
MAX_CSR_BYTES = 16 * 1024


class OrderForm(forms.Form):
    user_id = forms.ModelChoiceField(queryset=None, label="User ID", empty_label="Choose a User ID",
                                     to_field_name="eui")
    kind = forms.ChoiceField(choices=CertificateKind.choices, label="Certificate kind")
    csr = forms.CharField(label="Certificate Signing Request (PEM)", required=False,
                          widget=forms.Textarea(attrs={"rows": 10, "cols": 70, "spellcheck": "false"}),
                          help_text="Paste the PEM text (-----BEGIN CERTIFICATE REQUEST-----), or choose a file.")
    csr_file = forms.FileField(label="…or a CSR file (PEM or DER)", required=False)

    def __init__(self, *args, user_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user_id"].queryset = user_ids
        self.fields["user_id"].label_from_instance = lambda u: f"{u.eui} ({u.party.short_name})"

    def clean(self):
        data = super().clean()
        upload = data.get("csr_file")
        if upload:
            if upload.size > MAX_CSR_BYTES:
                raise forms.ValidationError("the CSR file is too large to be a CSR", code="csr-too-large")
            data["csr_bytes"] = upload.read()
        elif (data.get("csr") or "").strip():
            data["csr_bytes"] = data["csr"].strip().encode()
        else:
            raise forms.ValidationError("paste a CSR or choose a CSR file", code="csr-missing")
        return data


class RevocationRequestForm(forms.Form):
    reason = forms.CharField(label="Reason for revocation", max_length=255,
                             help_text="E.g. key compromise, key no longer used.")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(label="Note", max_length=255, required=False)


class CertificateFilterForm(forms.Form):
    user_id = forms.CharField(label="User ID", required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *CertificateKind.choices], required=False)
    status = forms.ChoiceField(required=False, choices=[
        ("", "Any status"), ("valid", "Valid"), ("revoked", "Revoked"), ("expired", "Expired"),
        ("not-yet-valid", "Not yet valid"), ("revocation-scheduled", "Revocation scheduled")])


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *RevocationRequest.Status.choices], required=False)
