"""The menu shows each role the pages of its work; every entry leads somewhere."""

from __future__ import annotations

from types import SimpleNamespace

from django.urls import reverse

from anxin.accounts.roles import Role
from anxin.core.context import NAV, menu_for


def names(role: str, superuser: bool = False) -> set[str]:
    return {name for name, _ in menu_for(SimpleNamespace(role=role, is_superuser=superuser))}


def test_every_menu_entry_resolves():
    for name, _label, _roles in NAV:
        assert reverse(name).startswith("/")


def test_each_role_sees_the_pages_of_its_work():
    assert {"assurance:mystery", "home"} == names(Role.VOLUNTEER_SUPERVISOR)
    technician = names(Role.TECHNICIAN)
    assert {"workshop:tech", "rescue:jobs"} <= technician
    assert "feedback:desk" not in technician and "assurance:audits" not in technician
    assert {"feedback:desk", "feedback:followups", "assurance:callbacks"} <= names(
        Role.CUSTOMER_SERVICE
    )
    assert "workshop:experts" in names(Role.TECHNICAL_EXPERT)
    assert "rescue:console" in names(Role.DISPATCHER)


def test_administrators_see_everything_and_anonymous_visitors_nothing():
    assert names(Role.ADMINISTRATOR) == {name for name, _l, _r in NAV}
    assert names("", superuser=True) == {name for name, _l, _r in NAV}
    assert menu_for(None) == []
