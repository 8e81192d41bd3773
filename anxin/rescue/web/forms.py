"""Forms of the rescue pages: they check input; the action functions do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.core.validators import (
    normalise_phone,
    validate_latitude,
    validate_longitude,
    validate_phone,
)
from anxin.customers.models import Customer, Vehicle
from anxin.network.choices import AreaType
from anxin.network.models import City, Outlet, RescueUnit

from ..choices import FaultType, Need, Priority
from .common import MAX_CITY_KM, from_tiles, nearest_city

COORD_SYSTEMS = [("wgs84", "WGS-84"), ("gcj02", "GCJ-02"), ("bd09", "BD-09")]


class LocationMixin(forms.Form):
    """Coordinates typed (WGS-84) or picked on the map (in the tile set's datum)."""

    lat = forms.FloatField(
        label=_("latitude (WGS-84)"),
        validators=[validate_latitude],
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lon = forms.FloatField(
        label=_("longitude (WGS-84)"),
        validators=[validate_longitude],
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    coord_system = forms.ChoiceField(
        choices=COORD_SYSTEMS, initial="wgs84", required=False, widget=forms.HiddenInput
    )

    cities: Any = City.objects.none()
    city: City | None = None
    city_km: float = 0.0

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lat, lon = data.get("lat"), data.get("lon")
        if lat is None or lon is None:
            return data
        lat, lon = from_tiles(lat, lon, data.get("coord_system") or "wgs84")
        data["lat"], data["lon"] = lat, lon
        self.city, self.city_km = nearest_city(self.cities, lat, lon)
        if self.city is None or self.city_km > MAX_CITY_KM:
            self.add_error(
                "lat",
                _(
                    "This point is more than %(km)d km from any city we serve: "
                    "check the coordinates (latitude and longitude swapped? at sea?)."
                )
                % {"km": MAX_CITY_KM},
            )
        return data


class IntakeForm(LocationMixin):
    """The dispatcher's intake (DSP-1): a call taken on the phone."""

    address = forms.CharField(label=_("location"), max_length=300, required=False)
    highway = forms.BooleanField(label=_("on a highway"), required=False)
    caller_name = forms.CharField(label=_("caller"), max_length=100, required=False)
    caller_phone = forms.CharField(
        label=_("caller phone"), max_length=20, validators=[validate_phone]
    )
    customer = forms.ModelChoiceField(
        label=_("customer"),
        queryset=Customer.objects.none(),
        required=False,
        widget=forms.HiddenInput,
    )
    vehicle = forms.ModelChoiceField(
        label=_("vehicle"),
        queryset=Vehicle.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("unknown vehicle: not in your region")},
    )
    fault = forms.ChoiceField(label=_("fault type"), choices=FaultType.choices)
    needs = forms.MultipleChoiceField(
        label=_("needs"), choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    priority = forms.ChoiceField(
        label=_("priority"), choices=Priority.choices, initial=Priority.ROUTINE
    )
    area = forms.ChoiceField(label=_("area type"), choices=AreaType.choices, initial=AreaType.URBAN)
    description = forms.CharField(
        label=_("description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.cities = City.objects.restrict(user, "view")
        self.fields["customer"].queryset = Customer.objects.restrict(user, "view")
        self.fields["vehicle"].queryset = Vehicle.objects.restrict(user, "view").select_related(
            "owner"
        )
        self.fields["vehicle"].label_from_instance = vehicle_label

    def clean_caller_phone(self) -> str:
        return normalise_phone(self.cleaned_data["caller_phone"])

    def job_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("coord_system", None)
        vehicle, customer = data.get("vehicle"), data.get("customer")
        if vehicle is not None and customer is None:
            data["customer"] = vehicle.owner
        data["city"] = self.city
        data["region"] = self.city.region if self.city else self.user.region
        return data


def vehicle_label(v: Vehicle) -> str:
    owner = f" · {v.owner.masked_name} {v.owner.masked_phone}" if v.owner_id else ""
    return f"{v.plate or '—'} {v.brand} {v.model} · VIN {v.vin}{owner}"


class PublicRequestForm(LocationMixin):
    """The public web form: a driver asks for help without an account."""

    caller_name = forms.CharField(label=_("your name"), max_length=100, required=False)
    caller_phone = forms.CharField(
        label=_("your mobile phone"), max_length=20, validators=[validate_phone]
    )
    plate = forms.CharField(label=_("plate"), max_length=16, required=False)
    fault = forms.ChoiceField(label=_("what happened"), choices=FaultType.choices)
    highway = forms.BooleanField(label=_("I am on a highway"), required=False)
    address = forms.CharField(
        label=_("where are you (road, landmark)"), max_length=300, required=False
    )
    description = forms.CharField(
        label=_("anything else we should know"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Left empty by people; bots fill every field.
    website = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off", "class": "hp"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Reference data for placing the request; no row of it is shown to the public.
        self.cities = City.objects.all()

    def clean_caller_phone(self) -> str:
        return normalise_phone(self.cleaned_data["caller_phone"])

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("leave this field empty"))
        return ""


class DispatchForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("rescue unit"), queryset=RescueUnit.objects.none())
    recommended = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    override_reason = forms.CharField(
        label=_("override reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Busy units stay choosable so that taking one answers 409 with its fresh status.
        self.fields["unit"].queryset = (
            RescueUnit.objects.restrict(user, "change")
            .filter(active=True)
            .order_by("status", "code")
        )
        self.fields["unit"].label_from_instance = lambda u: (
            f"{u.code} {u.plate} · {u.get_status_display()}"
        )


class ReasonForm(forms.Form):
    name = forms.CharField(max_length=32, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    destination_outlet = forms.ModelChoiceField(
        label=_("tow destination"), queryset=Outlet.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination_outlet"].queryset = Outlet.objects.restrict(user, "view").filter(
            active=True
        )


DAILY_CHECK_ITEMS = [
    ("tyres", _("Tyres and wheel nuts")),
    ("hydraulics", _("Hydraulics (bed, boom, lift)")),
    ("traction", _("Traction: winch, cable, straps")),
    ("lights", _("Lights and warning beacons")),
    ("warning_signs", _("Warning triangles and cones")),
    ("tools", _("Tools, jump starter and extinguisher")),
]


class DailyCheckForm(forms.Form):
    """设备状态表: each item passes or fails; the check passes only if every item passes."""

    remarks = forms.CharField(label=_("remarks"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("ok", _("OK")), ("fault", _("Fault"))]
        for key, label in DAILY_CHECK_ITEMS:
            self.fields[key] = forms.ChoiceField(
                label=label, choices=choices, widget=forms.RadioSelect
            )
        self.order_fields([k for k, _label in DAILY_CHECK_ITEMS] + ["remarks"])

    def item_fields(self) -> list[Any]:
        return [self[k] for k, _label in DAILY_CHECK_ITEMS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        failed = [k for k, _label in DAILY_CHECK_ITEMS if data.get(k) == "fault"]
        if failed and not (data.get("remarks") or "").strip():
            self.add_error("remarks", _("Describe the fault found."))
        return data

    @property
    def items(self) -> dict[str, bool]:
        return {k: self.cleaned_data.get(k) == "ok" for k, _label in DAILY_CHECK_ITEMS}
