"""A dispatcher signs in, opens the outlet list and sees the map with the outlets on it."""

import os

import pytest

from anxin.accounts.roles import Role
from anxin.network.models import City, Outlet, Region

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def network():
    east = Region.objects.create(code="east", name="华东大区")
    south = Region.objects.create(code="south", name="华南大区")
    hz = City.objects.create(region=east, code="330100", name="杭州市", lat=30.2741, lon=120.1551)
    gz = City.objects.create(region=south, code="440100", name="广州市", lat=23.1291, lon=113.2644)
    for code, name, lat, lon in [
        ("HZ-01", "杭州西湖安心服务站", 30.259, 120.130),
        ("HZ-02", "杭州滨江安心服务站", 30.208, 120.212),
        ("HZ-03", "杭州萧山安心服务站", 30.185, 120.264),
    ]:
        Outlet.objects.create(code=code, name=name, region=east, city=hz, lat=lat, lon=lon)
    Outlet.objects.create(
        code="GZ-01", name="广州天河安心服务站", region=south, city=gz, lat=23.13, lon=113.32
    )
    from anxin.accounts.models import User

    User.objects.create_user("dispatcher", password="anxin-demo", role=Role.DISPATCHER, region=east)


def test_dispatcher_sees_the_outlets_of_his_region_on_the_map(live_server, page, network):
    page.goto(f"{live_server.url}/network/outlets/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "dispatcher")
    page.fill("input[name=password]", "anxin-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/network/outlets/")
    assert page.locator("h1").inner_text().startswith("服务网点")  # zh-Hans by default
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 3
    assert "广州天河" not in page.content()
    map_el = page.locator("#map")
    page.wait_for_function("document.getElementById('map').dataset.markers === '3'")
    markers = page.locator("#map path.leaflet-interactive")
    assert markers.count() == 3
    markers.first.hover()
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert "安心服务站" in tooltip.inner_text()
    assert map_el.bounding_box()["height"] > 300
    shot = os.environ.get("ANXIN_SCREENSHOT_DIR")
    if shot:
        page.screenshot(path=os.path.join(shot, "outlets.png"), full_page=True)
