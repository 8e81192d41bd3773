"""Roles and regions (SEC-1) and personal data (SEC-2), through the one permission filter."""

import pytest
from django.core.exceptions import PermissionDenied

from anxin.accounts.permissions import restrict
from anxin.accounts.roles import Role
from anxin.audit.models import PersonalDataAccess
from anxin.core.masking import reveal
from anxin.customers.models import Customer
from anxin.network.models import Outlet, RescueBase, RescueUnit

from .conftest import logged_in, make_user


@pytest.fixture
def east_customer(east, hangzhou):
    return Customer.objects.create(name="刘德华", phone="13812345678", region=east, city=hangzhou)


@pytest.fixture
def south_customer(south, guangzhou):
    return Customer.objects.create(name="陈奕迅", phone="13912345678", region=south, city=guangzhou)


def test_a_technician_never_sees_another_regions_customers(
    south_technician, east_customer, south_customer
):
    visible = restrict(Customer.objects.all(), south_technician)
    assert list(visible) == [south_customer]


def test_a_dispatcher_sees_only_his_regions_outlets(dispatcher, outlet, south, guangzhou):
    Outlet.objects.create(
        code="GZ-1", name="广州天河服务站", region=south, city=guangzhou, lat=23.13, lon=113.32
    )
    assert list(Outlet.objects.restrict(dispatcher)) == [outlet]


def test_a_national_auditor_sees_every_region(auditor, east_customer, south_customer):
    assert set(Customer.objects.restrict(auditor)) == {east_customer, south_customer}


def test_an_anonymous_visitor_sees_nothing(east_customer):
    from django.contrib.auth.models import AnonymousUser

    assert not Customer.objects.restrict(AnonymousUser()).exists()


def test_a_user_without_a_region_in_a_regional_role_sees_nothing(db, east_customer):
    homeless = make_user("nowhere", Role.DISPATCHER, None)
    assert not Customer.objects.restrict(homeless).exists()


def test_change_needs_a_role_that_may_change_the_model(dispatcher, south_technician, unit, outlet):
    assert (
        Outlet.objects.restrict(dispatcher, "change").count() == 0
    )  # dispatchers don't edit outlets
    assert RescueUnit.objects.restrict(dispatcher, "change").count() == 1  # but do move units


def test_a_technician_sees_only_the_units_of_his_own_base(east, hangzhou, base, unit):
    other = RescueBase.objects.create(
        code="HZB-2", name="萧山救援基地", region=east, city=hangzhou, lat=30.18, lon=120.26
    )
    other_unit = RescueUnit.objects.create(
        code="T02", plate="浙A54321", kind="tow_truck", base=other
    )
    tech = make_user("tech_east", Role.TECHNICIAN, east, base=other)
    assert list(RescueUnit.objects.restrict(tech)) == [other_unit]


def test_customer_pages_show_masked_personal_data(dispatcher, east_customer):
    page = logged_in(dispatcher).get("/network/customers/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "138****5678" in text and "刘**" in text
    assert "13812345678" not in text and "刘德华" not in text


def test_an_unmasked_view_is_logged(dispatcher, east_customer):
    data = reveal(dispatcher, east_customer, ("phone",), purpose="call back")
    assert data == {"phone": "13812345678"}
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.model, log.object_pk, log.fields) == (
        dispatcher,
        "customers.customer",
        str(east_customer.pk),
        "phone",
    )


def test_a_role_without_need_cannot_unmask_and_nothing_is_logged(east, east_customer):
    manager = make_user("manager_east", Role.REGIONAL_MANAGER, east)
    with pytest.raises(PermissionDenied):
        reveal(manager, east_customer, ("phone",))
    assert not PersonalDataAccess.objects.exists()


def test_unmasking_another_regions_customer_is_refused(dispatcher, south_customer):
    with pytest.raises(PermissionDenied):
        reveal(dispatcher, south_customer, ("phone",))
    assert not PersonalDataAccess.objects.exists()


def test_the_admin_lists_pass_through_the_same_filter(east, south, hangzhou, guangzhou, outlet):
    Outlet.objects.create(
        code="GZ-1", name="广州天河服务站", region=south, city=guangzhou, lat=23.13, lon=113.32
    )
    manager = make_user("mgr", Role.REGIONAL_MANAGER, east, is_staff=True)
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_outlet", "change_outlet"])
    )
    page = logged_in(manager).get("/admin/network/outlet/")
    assert page.status_code == 200
    assert "杭州西湖服务站" in page.content.decode()
    assert "广州天河服务站" not in page.content.decode()
