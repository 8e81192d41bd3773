"""Customers, fleet customers with designated-repair contracts, and vehicles (NET-3, NET-4)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.core.masking import mask_name, mask_phone
from anxin.core.validators import normalise_vin, validate_phone, validate_plate, validate_vin


class CustomerTier(models.TextChoices):
    VIP = "vip", _("VIP customer")
    KEY = "key", _("Key customer")
    REGULAR = "regular", _("Regular customer")
    FLEET = "fleet", _("Fleet customer")


class FleetCustomer(models.Model):
    """A unit customer (单位客户): a government body or enterprise running a fleet."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        ENTERPRISE = "enterprise", _("Enterprise")
        RIDE_HAILING = "ride_hailing", _("Ride-hailing / taxi operator")
        LOGISTICS = "logistics", _("Logistics")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="fleet_customers",
    )
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[validate_phone]
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["name"]
        verbose_name = _("fleet customer")
        verbose_name_plural = _("fleet customers")

    def __str__(self) -> str:
        return self.name


class RepairContract(models.Model):
    """A designated-repair contract (定点维修协议) naming outlets and terms for a fleet."""

    fleet = models.ForeignKey(
        FleetCustomer,
        verbose_name=_("fleet customer"),
        on_delete=models.CASCADE,
        related_name="contracts",
    )
    number = models.CharField(_("contract number"), max_length=64, unique=True)
    outlets = models.ManyToManyField(
        "network.Outlet", verbose_name=_("designated outlets"), related_name="repair_contracts"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    labour_discount_pct = models.DecimalField(
        _("labour discount %"), max_digits=5, decimal_places=2, default=0
    )
    parts_discount_pct = models.DecimalField(
        _("parts discount %"), max_digits=5, decimal_places=2, default=0
    )
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    terms = models.TextField(_("terms"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "fleet__region"

    class Meta:
        ordering = ["fleet", "-valid_until"]
        verbose_name = _("designated-repair contract")
        verbose_name_plural = _("designated-repair contracts")

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The contract ends before it starts.")})
        for field in ("labour_discount_pct", "parts_discount_pct"):
            value = getattr(self, field)
            if value is not None and not 0 <= value <= 100:
                raise ValidationError({field: _("A discount is between 0 and 100%.")})


class Customer(models.Model):
    """A vehicle owner or driver. Name and phone are personal data: masked unless needed."""

    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, validators=[validate_phone], db_index=True)
    tier = models.CharField(
        _("customer tier"),
        max_length=16,
        choices=CustomerTier.choices,
        default=CustomerTier.REGULAR,
    )
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    city = models.ForeignKey(
        "network.City",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    fleet = models.ForeignKey(
        FleetCustomer,
        verbose_name=_("fleet customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drivers",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return mask_name(self.name)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Consent(models.Model):
    """A consent record (PIPL): what the customer agreed to, how and when; withdrawals kept."""

    class Purpose(models.TextChoices):
        SERVICE_CONTACT = "service_contact", _("Service contact (progress, completion notices)")
        LOCATION = "location", _("Use of location during rescue")
        SURVEY = "survey", _("Satisfaction ratings and callbacks")
        MARKETING = "marketing", _("Marketing messages")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    channel = models.CharField(_("channel"), max_length=32, default="app")
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "customer__region"

    class Meta:
        ordering = ["customer", "purpose", "-recorded_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {'✓' if self.granted else '✗'}"


class Powertrain(models.TextChoices):
    ICE = "ice", _("Internal combustion (ICE)")
    HEV = "hev", _("Hybrid (HEV/PHEV/EREV)")
    BEV = "bev", _("Battery electric (BEV)")


class Vehicle(models.Model):
    """A vehicle by VIN: the key of its technical archive (车辆技术档案)."""

    vin = models.CharField(_("VIN"), max_length=17, unique=True, validators=[validate_vin])
    plate = models.CharField(
        _("plate"), max_length=16, blank=True, validators=[validate_plate], db_index=True
    )
    brand = models.CharField(_("brand"), max_length=64)
    model = models.CharField(_("model"), max_length=64, db_index=True)
    model_year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    powertrain = models.CharField(_("powertrain"), max_length=8, choices=Powertrain.choices)
    high_voltage = models.BooleanField(_("800V platform"), default=False)
    owner = models.ForeignKey(
        Customer,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vehicles",
    )
    fleet = models.ForeignKey(
        FleetCustomer,
        verbose_name=_("fleet customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vehicles",
    )
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="vehicles",
    )
    sold_on = models.DateField(_("sold on"), null=True, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    mileage_km = models.PositiveIntegerField(_("mileage (km)"), default=0)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["vin"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self) -> str:
        return f"{self.plate or self.vin} {self.model}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.vin = normalise_vin(self.vin)
        if self.plate:
            self.plate = self.plate.strip().upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_electric(self) -> bool:
        return self.powertrain in (Powertrain.BEV, Powertrain.HEV)
