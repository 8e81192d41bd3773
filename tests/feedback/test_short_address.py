"""The service-completion SMS prints the short address /q/: it must reach the lookup form."""

from django.test import Client


def test_the_sms_short_address_opens_the_lookup_form(db):
    page = Client().get("/q/")
    assert page.status_code == 200
    assert page.content.decode().count('name="code"') == 1
