"""Forms of the feedback pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import ComplaintChannel, ComplaintClass, VehicleSystem

INTAKE_CHANNELS = [
    (c, label)
    for c, label in ComplaintChannel.choices
    if c in (ComplaintChannel.HOTLINE, ComplaintChannel.WEB, ComplaintChannel.APP)
]


class IntakeForm(forms.Form):
    """The hotline form (投诉受理): the agent writes the complaint, the classifier proposes."""

    channel = forms.ChoiceField(label=_("channel"), choices=INTAKE_CHANNELS, initial="hotline")
    text = forms.CharField(
        label=_("complaint"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )
    job_kind = forms.ChoiceField(
        label=_("job kind"),
        required=False,
        choices=[("", "—"), ("rescue", _("Rescue job")), ("workorder", _("Work order"))],
    )
    job = forms.CharField(label=_("job number"), required=False, max_length=32)
    contact_name = forms.CharField(label=_("contact name"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("contact phone"), required=False, max_length=20)
    category = forms.ChoiceField(
        label=_("class"),
        required=False,
        choices=[("", _("— decide later —")), *ComplaintClass.choices],
    )
    system = forms.ChoiceField(
        label=_("system"), required=False, choices=[("", "—"), *VehicleSystem.choices]
    )
    part = forms.CharField(label=_("part"), required=False, max_length=64)
    fault_code = forms.CharField(label=_("fault code"), required=False, max_length=16)

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("job_kind")) != bool((data.get("job") or "").strip()):
            raise forms.ValidationError(_("Give both the job kind and the job number, or neither."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or JSON file"))
