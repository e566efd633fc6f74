"""The ADT upload form: which Party, which file. The file's content is checked by contingency.adt.services."""

from __future__ import annotations

from django import forms


class AdtUploadForm(forms.Form):
    # aria-describedby ties each field to its help text (templates/adt/upload.html gives it the id <field id>_help).
    party = forms.ModelChoiceField(queryset=None, empty_label=None, label="Party",
                                   help_text="The Party whose thresholds the file sets.",
                                   widget=forms.Select(attrs={"aria-describedby": "id_party_help"}))
    file = forms.FileField(label="ADT file (CSV)",
                           help_text="UTF-8 CSV with the header user_id,srv,target_supplier,warning_level,"
                                     "quarantine_level,window_minutes (docs/adt-format.md).",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv",
                                                                  "aria-describedby": "id_file_help"}))

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties
