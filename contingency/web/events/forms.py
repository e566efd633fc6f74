"""Forms of the event pages: they check the shape of what was typed (dates, a list of EUIs); whether the record
may be made (licence revoked, SoLR Contingency role, PDF evidence, known devices, …) is the services' decision
(contingency.events.records), refused with a code."""

from __future__ import annotations

import csv
import io

from django import forms

from portal.choices import solr_role_code
from portal.eui import InvalidEUI64, parse_eui64
from portal.models import Party, PartyKind, UserID

from ...models import ScopeKind

# Times are UTC (settings.TIME_ZONE): the browser's date-time picker sends "YYYY-MM-DDTHH:MM".
DATETIME_WIDGET = {"type": "datetime-local", "step": "60"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

#: The largest device list a person may upload: one EUI per line, some 24 bytes each, so about 650,000 meters.
MAX_DEVICE_LIST_BYTES = 16 * 1024 * 1024


def _datetime_field(label: str, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, help_text=help_text,
                               widget=forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT))


def _suppliers():
    return Party.objects.filter(kind=PartyKind.SUPPLIER).order_by("name")


class PartyChoice(forms.ModelChoiceField):
    def label_from_instance(self, party):
        return f"{party.name} ({party.short_name})"


class UserIDChoice(forms.ModelChoiceField):
    def label_from_instance(self, user_id):
        return f"{user_id.eui} — {user_id.party.name}"


class LicenceRevocationForm(forms.Form):
    supplier = PartyChoice(queryset=Party.objects.none(), label="Supplier whose licence is revoked",
                           empty_label="Choose the Supplier")
    effective_at = _datetime_field("Effective from (UTC)", "When the licence revocation takes effect; the "
                                   "Supplier's certificates are revoked then, unless the SMKI PMA defers it.")
    solr = PartyChoice(queryset=Party.objects.none(), label="Supplier of Last Resort appointed",
                       empty_label="Choose the Supplier of Last Resort")
    reference = forms.CharField(label="The Authority's reference", max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = _suppliers()
        self.fields["solr"].queryset = _suppliers()


class DeferralForm(forms.Form):
    until = _datetime_field("Certificates revoked at (UTC)", "The time the SMKI PMA decided on, instead of the "
                            "licence revocation's effective time.")
    decided_by = forms.CharField(label="Decided by", max_length=200,
                                 help_text="Who in the SMKI PMA decided the deferral.")


def parse_device_list(text: str) -> tuple[list[str], list[str]]:
    """EUIs from a pasted list or a text/CSV file: one per line, the first column of a CSV line; blank lines and
    a header line (a first line that is not an EUI, such as ``device_id``) are skipped. Returns the EUIs in the
    registry's form (every spelling it accepts works) without repeats, and the problems by line."""
    euis: dict[str, None] = {}
    problems: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cell = row[0].strip() if row else ""
        if not cell:
            continue
        try:
            euis[parse_eui64(cell)] = None
        except InvalidEUI64:
            if number == 1 and not any(ch.isdigit() for ch in cell):
                continue  # a header
            problems.append(f"line {number}: {cell[:40]!r} is not an EUI-64")
    return list(euis), problems


class InstructionForm(forms.Form):
    reference = forms.CharField(label="Instruction reference", max_length=100,
                                help_text="The Authority's reference for this contingency instruction.")
    supplier = PartyChoice(queryset=Party.objects.none(), label="Failed Supplier", empty_label="Choose the Supplier",
                           help_text="Its licence revocation must be recorded first.")
    contingency_user_id = UserIDChoice(queryset=UserID.objects.none(), label="SoLR Contingency User ID",
                                       empty_label="Choose the SRP's User ID",
                                       help_text="The SRP's User ID that holds the SoLR Contingency role.")
    srvs = forms.CharField(label="Service Requests allowed", initial="1.6", max_length=200,
                           help_text="Service Reference Variants, separated by commas: 1.6 is Update Payment Mode "
                                     "to Credit (MP134B BR3).")
    scope = forms.ChoiceField(label="Scope", choices=ScopeKind.choices, initial=ScopeKind.ALL_METERS,
                              widget=forms.RadioSelect)
    device_ids = forms.CharField(label="Device IDs (scope: listed devices)", required=False,
                                 widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
                                 help_text="One EUI-64 per line, e.g. 00-DB-12-34-56-78-90-A0.")
    device_file = forms.FileField(label="Or a file of device IDs", required=False,
                                  widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv,text/plain,text/csv"}),
                                  help_text="Text or CSV, one EUI-64 per line (the first column).")
    valid_from = _datetime_field("Valid from (UTC)", "The start of the instruction's window.")
    valid_to = _datetime_field("Valid to (UTC)", "The end of the window: an activation expires then.")
    evidence = forms.FileField(label="Evidence (PDF)", help_text="The Authority's signed instruction, as a PDF.",
                               widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = _suppliers()
        self.fields["contingency_user_id"].queryset = (
            UserID.objects.with_role(solr_role_code()).select_related("party").order_by("eui"))

    def clean_srvs(self) -> list[str]:
        srvs = [s.strip() for s in self.cleaned_data["srvs"].split(",") if s.strip()]
        if not srvs:
            raise forms.ValidationError("name at least one Service Reference Variant, e.g. 1.6")
        return list(dict.fromkeys(srvs))

    def clean_device_file(self):
        upload = self.cleaned_data.get("device_file")
        if upload and upload.size > MAX_DEVICE_LIST_BYTES:
            raise forms.ValidationError(f"the file is larger than {MAX_DEVICE_LIST_BYTES // (1024 * 1024)} MB")
        return upload

    def clean(self):
        data = super().clean()
        upload = data.get("device_file")
        sources = [("device_ids", data.get("device_ids") or "")]
        if upload:
            try:
                sources.append(("device_file", upload.read().decode("utf-8-sig")))
            except UnicodeDecodeError:
                self.add_error("device_file", "the file is not UTF-8 text")
                return data
        euis: dict[str, None] = {}
        problems: list[tuple[str, str]] = []
        for field, text in sources:
            found, wrong = parse_device_list(text)
            euis.update(dict.fromkeys(found))
            problems += [(field, problem) for problem in wrong]
        if data.get("scope") == ScopeKind.LISTED:
            for field, problem in problems[:20]:
                self.add_error(field, problem)
            if len(problems) > 20:
                self.add_error(problems[20][0], f"and {len(problems) - 20} more lines that are not EUI-64s")
            if not euis and not problems:
                self.add_error("device_ids", "list the devices, or choose all the Supplier's meters")
            data["device_euis"] = list(euis)
        else:
            if euis or problems:
                self.add_error("scope", "devices are listed: choose 'Listed devices only', or clear the list")
            data["device_euis"] = None  # the services' word for all the Supplier's meters
        return data


class ActionForm(forms.Form):
    """An activation button: the version the person saw (compare-and-set, so a page older than someone else's
    change is refused with ``conflict``) and an optional note."""

    version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    note = forms.CharField(max_length=500, required=False)
