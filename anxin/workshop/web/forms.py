"""Forms of the workshop pages: they check input; the action functions do the writing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.validators import (
    normalise_phone,
    normalise_vin,
    validate_latitude,
    validate_longitude,
    validate_phone,
    validate_vin,
)
from anxin.customers.models import Powertrain
from anxin.network.models import City, Outlet
from anxin.people.models import Staff

from ..choices import (
    InspectionKind,
    ItemKind,
    JobType,
    PaymentMethod,
    ResponseKind,
    VehicleSystem,
    WarrantyCover,
)
from ..models import Supplier
from .common import as_list

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
NUMBER = {"step": "any", "inputmode": "decimal"}
# On a phone the file picker opens the rear camera directly.
CAMERA = forms.FileInput(attrs={"accept": "image/*", "capture": "environment"})


class BookingForm(forms.Form):
    """What both booking forms ask: the vehicle, the service, when and where.

    The place is a city of the network (its centre) unless precise coordinates are given
    (the public page fills them from the phone's location).
    """

    vin = forms.CharField(
        label=_("VIN"),
        max_length=17,
        min_length=17,
        help_text=_("17 characters, on the registration certificate (行驶证)."),
    )
    plate = forms.CharField(label=_("plate"), max_length=16, required=False)
    brand = forms.CharField(label=_("brand"), max_length=64, required=False)
    model = forms.CharField(label=_("vehicle model"), max_length=64, required=False)
    powertrain = forms.ChoiceField(
        label=_("powertrain"), choices=[("", "—"), *Powertrain.choices], required=False
    )
    contact_name = forms.CharField(label=_("contact"), max_length=100, required=False)
    contact_phone = forms.CharField(
        label=_("mobile phone"), max_length=20, validators=[validate_phone]
    )
    job_type = forms.ChoiceField(label=_("job type"), choices=JobType.choices)
    service_items = forms.CharField(
        label=_("service items"),
        required=False,
        max_length=500,
        help_text=_("Separate items with commas, e.g. 更换机油, 四轮定位."),
    )
    description = forms.CharField(
        label=_("description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    preferred_at = forms.DateTimeField(label=_("preferred time"), widget=DATETIME)
    city = forms.ModelChoiceField(label=_("city"), queryset=City.objects.none(), required=False)
    lat = forms.FloatField(
        label=_("latitude (WGS-84)"),
        required=False,
        validators=[validate_latitude],
        widget=forms.NumberInput(attrs=NUMBER),
    )
    lon = forms.FloatField(
        label=_("longitude (WGS-84)"),
        required=False,
        validators=[validate_longitude],
        widget=forms.NumberInput(attrs=NUMBER),
    )
    address = forms.CharField(label=_("preferred place"), max_length=300, required=False)

    def __init__(self, *args: Any, cities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = cities if cities is not None else City.objects.all()

    def clean_vin(self) -> str:
        vin = normalise_vin(self.cleaned_data["vin"])
        validate_vin(vin)
        return vin

    def clean_contact_phone(self) -> str:
        return normalise_phone(self.cleaned_data["contact_phone"])

    def clean_plate(self) -> str:
        return self.cleaned_data["plate"].strip().upper().replace(" ", "").replace("·", "")

    def clean_service_items(self) -> list[str]:
        return as_list(self.cleaned_data["service_items"])

    def clean_preferred_at(self) -> dt.datetime:
        value = self.cleaned_data["preferred_at"]
        if value < timezone.now() - dt.timedelta(minutes=5):
            raise forms.ValidationError(_("choose a time in the future"))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lat, lon, city = data.get("lat"), data.get("lon"), data.get("city")
        if (lat is None) != (lon is None):
            self.add_error("lat", _("give both latitude and longitude, or neither"))
        elif lat is None and city is None and "city" not in self.errors:
            self.add_error("city", _("choose a city or give the coordinates"))
        elif lat is None and city is not None:
            data["lat"], data["lon"] = city.lat, city.lon
        return data

    def booking_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "contact_phone": d["contact_phone"],
            "contact_name": d["contact_name"],
            "job_type": d["job_type"],
            "service_items": d["service_items"],
            "description": d["description"],
            "preferred_at": d["preferred_at"],
            "lat": d["lat"],
            "lon": d["lon"],
            "address": d["address"] or (d["city"].name if d.get("city") else ""),
        }

    def vehicle_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "vin": d["vin"],
            "phone": d["contact_phone"],
            "name": d["contact_name"],
            "plate": d["plate"],
            "brand": d["brand"],
            "model": d["model"],
            "powertrain": d["powertrain"],
        }


class PublicBookingForm(BookingForm):
    """The public page's form: the same questions, a consent tick and a honeypot."""

    consent = forms.BooleanField(
        label=_("I agree that my phone number is used to arrange this appointment."),
    )
    # Left empty by people; bots fill every field.
    website = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off", "class": "hp"}),
    )

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("leave this field empty"))
        return ""


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReassignForm(forms.Form):
    outlet = forms.ModelChoiceField(
        label=_("outlet"),
        queryset=Outlet.objects.none(),
        required=False,
        empty_label=_("next best outlet (automatic)"),
    )
    reason = forms.CharField(
        label=_("reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, outlets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = outlets


class RespondForm(forms.Form):
    """The outlet's answer to an appointment: confirm, propose another slot, decline."""

    kind = forms.ChoiceField(label=_("response"), choices=ResponseKind.choices)
    proposed_at = forms.DateTimeField(label=_("proposed slot"), required=False, widget=DATETIME)
    note = forms.CharField(
        label=_("note / reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind == ResponseKind.PROPOSE and not data.get("proposed_at"):
            self.add_error("proposed_at", _("give the slot you propose"))
        if kind == ResponseKind.DECLINE and not (data.get("note") or "").strip():
            self.add_error("note", _("give the reason for declining"))
        return data


class OpenWorkOrderForm(forms.Form):
    """Reception (接车): the appointment's vehicle arrives and the work order is opened."""

    mileage_km = forms.IntegerField(label=_("mileage (km)"), min_value=0, max_value=3_000_000)
    complaint = forms.CharField(
        label=_("customer's description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    inspection_kind = forms.ChoiceField(
        label=_("inspection kind"), choices=[("", "—"), *InspectionKind.choices], required=False
    )
    warranty_cover = forms.ChoiceField(
        label=_("warranty repair"), choices=[("", "—"), *WarrantyCover.choices], required=False
    )
    technician = forms.ModelChoiceField(
        label=_("technician"), queryset=Staff.objects.none(), required=False
    )
    promised_at = forms.DateTimeField(
        label=_("promised completion"), required=False, widget=DATETIME
    )

    def __init__(self, *args: Any, technicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians


class DetailsForm(forms.Form):
    """The work order's own fields an advisor or technician edits (diagnosis, oil, ...)."""

    complaint = forms.CharField(
        label=_("customer's description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    diagnosis = forms.CharField(
        label=_("diagnosis"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    fault_codes = forms.CharField(
        label=_("fault codes (DTC)"),
        max_length=500,
        required=False,
        help_text=_("e.g. P0A80, U0100"),
    )
    systems = forms.MultipleChoiceField(
        label=_("vehicle systems"),
        choices=VehicleSystem.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mileage_km = forms.IntegerField(
        label=_("mileage (km)"), min_value=0, max_value=3_000_000, required=False
    )
    high_voltage = forms.BooleanField(label=_("high-voltage job"), required=False)
    technician = forms.ModelChoiceField(
        label=_("technician"), queryset=Staff.objects.none(), required=False
    )
    promised_at = forms.DateTimeField(
        label=_("promised completion"), required=False, widget=DATETIME
    )
    oil_brand = forms.CharField(label=_("oil brand"), max_length=100, required=False)
    oil_grade = forms.CharField(label=_("oil grade"), max_length=40, required=False)

    def __init__(self, *args: Any, technicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians

    def clean_fault_codes(self) -> list[str]:
        return [c.upper() for c in as_list(self.cleaned_data["fault_codes"].replace(" ", ","))]


class OilForm(forms.Form):
    """An oil change names the oil's brand and grade before the work order can close."""

    oil_brand = forms.CharField(label=_("oil brand"), max_length=100)
    oil_grade = forms.CharField(label=_("oil grade"), max_length=40, help_text=_("e.g. 0W-20"))


class LabourLineForm(forms.Form):
    operation = forms.CharField(
        label=_("labour operation"),
        max_length=40,
        help_text=_("operation code from the national catalog"),
    )


class PartLineForm(forms.Form):
    part = forms.CharField(
        label=_("part number"), max_length=40, help_text=_("from the national parts catalog")
    )
    quantity = forms.DecimalField(
        label=_("quantity"),
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        initial=1,
        widget=forms.NumberInput(attrs=NUMBER),
    )


class FittedForm(forms.Form):
    """PRT-3: the batch and supplier of the part actually fitted."""

    batch_no = forms.CharField(label=_("batch number"), max_length=64)
    supplier = forms.ModelChoiceField(
        label=_("supplier"), queryset=Supplier.objects.filter(active=True)
    )


class FinishOperationForm(forms.Form):
    actual_hours = forms.DecimalField(
        label=_("actual hours"),
        min_value=Decimal("0.01"),
        max_value=Decimal("999"),
        decimal_places=2,
        required=False,
        help_text=_("empty: measured from start to finish"),
        widget=forms.NumberInput(attrs=NUMBER),
    )


class HVCheckForm(forms.Form):
    """WS-4: the discharge and insulation check, by an HV-certified technician."""

    technician = forms.ModelChoiceField(label=_("technician"), queryset=Staff.objects.none())
    discharged = forms.BooleanField(label=_("HV system discharged"), required=False)
    residual_voltage = forms.DecimalField(
        label=_("residual voltage (V)"), min_value=0, widget=forms.NumberInput(attrs=NUMBER)
    )
    insulation_mohm = forms.DecimalField(
        label=_("insulation resistance (MΩ)"), min_value=0, widget=forms.NumberInput(attrs=NUMBER)
    )
    remarks = forms.CharField(label=_("remarks"), max_length=1000, required=False)

    def __init__(self, *args: Any, technicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every technician of the region is listed: choosing one without a valid certificate
        # is refused by the action with the reason, which is what the person needs to read.
        self.fields["technician"].queryset = technicians


class SettleForm(forms.Form):
    paid_amount = forms.DecimalField(
        label=_("paid"), min_value=0, decimal_places=2, widget=forms.NumberInput(attrs=NUMBER)
    )
    payment_method = forms.ChoiceField(label=_("payment method"), choices=PaymentMethod.choices)


class ApproveInPersonForm(forms.Form):
    signer_name = forms.CharField(label=_("customer's name (signature)"), max_length=100)


class QuoteDecisionForm(forms.Form):
    """The customer's answer on the personal link: approve with a name, or reject with why."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    quote_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    signer_name = forms.CharField(label=_("your name"), max_length=100, required=False)
    reason = forms.CharField(
        label=_("why not"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "approve" and not (data.get("signer_name") or "").strip():
            self.add_error("signer_name", _("type your name to approve"))
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("tell us why, so the advisor can call you"))
        return data


class VerifyForm(forms.Form):
    """Anyone holding an electronic work order checks it against the record."""

    number = forms.CharField(label=_("work order number"), max_length=32)
    code = forms.CharField(label=_("verification code"), max_length=16)

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper().replace(" ", "").replace("-", "")


class ExpertRequestForm(forms.Form):
    question = forms.CharField(
        label=_("question"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    fault_codes = forms.CharField(label=_("fault codes (DTC)"), max_length=500, required=False)
    photo = forms.ImageField(label=_("photo"), required=False, widget=CAMERA)

    def clean_fault_codes(self) -> list[str]:
        return [c.upper() for c in as_list(self.cleaned_data["fault_codes"].replace(" ", ","))]


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("resolution"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InspectionForm(forms.Form):
    """One of the three checks, its fields built from the inspection's copied template items.

    Fields are ``result_<code>`` per item; a photo item or an item with ``photo_required``
    also gets ``photo_<code>``. The action checks requiredness and photos, so the form makes
    every field optional and shows the action's errors on the matching field.
    """

    responsible = forms.ModelChoiceField(
        label=_("responsible person"), queryset=Staff.objects.none(), required=False
    )
    remarks = forms.CharField(
        label=_("remarks"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, items: list[dict[str, Any]], staff: Any, label: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["responsible"].queryset = staff
        for item in items:
            code, kind = item["code"], item.get("kind", ItemKind.CHECK)
            text = label(item)
            if item.get("required", True) and kind != ItemKind.PHOTO:
                text = f"{text} *"
            if kind == ItemKind.CHECK:
                field: forms.Field = forms.ChoiceField(
                    label=text,
                    required=False,
                    choices=[("ok", _("OK")), ("not_ok", _("not OK"))],
                    widget=forms.RadioSelect,
                )
            elif kind == ItemKind.NUMBER:
                field = forms.CharField(
                    label=text,
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            elif kind == ItemKind.TEXT:
                field = forms.CharField(label=text, required=False, max_length=1000)
            else:
                field = forms.CharField(label=text, required=False, widget=forms.HiddenInput)
            self.fields[f"results_{code}"] = field
            if kind == ItemKind.PHOTO or item.get("photo_required"):
                self.fields[f"photo_{code}"] = forms.ImageField(
                    label=_("photo: %(item)s") % {"item": label(item)}
                    + (" *" if item.get("photo_required") else ""),
                    required=False,
                    widget=CAMERA,
                )

    def results(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in self.items:
            if item.get("kind") == ItemKind.PHOTO:
                continue
            value = self.cleaned_data.get(f"results_{item['code']}")
            if value not in (None, ""):
                out[item["code"]] = value
        return out

    def photos(self) -> list[tuple[str, Any]]:
        return [
            (item["code"], self.cleaned_data[f"photo_{item['code']}"])
            for item in self.items
            if self.cleaned_data.get(f"photo_{item['code']}")
        ]

    def rows(self) -> list[tuple[dict[str, Any], Any, Any]]:
        """(item, result field, photo field or None) for the template."""
        return [
            (
                item,
                self[f"results_{item['code']}"],
                self[f"photo_{item['code']}"] if f"photo_{item['code']}" in self.fields else None,
            )
            for item in self.items
        ]


class LookupForm(forms.Form):
    """The customer types the number and the short code from the SMS."""

    number = forms.CharField(label=_("appointment or work order number"), max_length=32)
    code = forms.CharField(label=_("lookup code"), max_length=16)

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()
