"""The quality auditor opens the quality dashboard of the demo city, sees its figures, and
drills down from a figure to the rescue jobs behind it (KPI-1, KPI-2, DSP-4)."""

from __future__ import annotations

import os
import re

import pytest
from django.db import transaction
from django.utils import timezone

from anxin.demo.builder import build
from anxin.network.models import Region
from anxin.quality import rollup, scopes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def city():
    as_of = timezone.localtime().replace(microsecond=0)
    with transaction.atomic():
        build(seed=7, as_of=as_of)
    return as_of


def sign_in(page, base, username):
    page.goto(f"{base}/login/?next=/quality/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "anxin-demo")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/quality/.*"))


def test_the_dashboard_shows_the_demo_citys_figures_and_drills_down_to_jobs(
    live_server, page, city
):
    # Last month lies wholly inside the demo's eight weeks of history, whatever today is.
    month = scopes.previous_month(f"{city:%Y-%m}")
    start, end = scopes.month_bounds(month)
    mean = rollup.figure("rescue_response_mean", "network", "", start, end)
    assert mean.n > 0, "the demo city has rescue jobs that arrived this month"

    sign_in(page, live_server.url, "auditor")
    page.goto(f"{live_server.url}/quality/?month={month}")
    tile = page.get_by_test_id("kpi-rescue_response_mean")
    assert tile.inner_text() == f"{mean.value:.1f}"
    # Live figures (DSP-4) arrive by htmx; the map shows the demo's cities.
    page.get_by_test_id("live-mean").wait_for()
    page.wait_for_function("document.getElementById('quality-map').dataset.cities > '0'")
    assert page.locator("#quality-map path.leaflet-interactive").count() > 0
    page.wait_for_function(
        "(el => el && el.dataset.points > '0')"
        "(document.querySelector('.chart[data-control-url*=rescue_within_15]'))"
    )
    shot = os.environ.get("ANXIN_SCREENSHOT_DIR")
    if shot:
        page.screenshot(path=os.path.join(shot, "quality-dashboard.png"), full_page=True)

    tile.click()
    page.wait_for_url(re.compile(r".*/quality/figures/rescue_response_mean/.*"))
    assert page.get_by_test_id("drill-value").inner_text() == f"{mean.value:.1f}"
    links = page.locator("[data-testid=drill-records] tbody a")
    assert links.count() == min(mean.n, 500)
    number = links.first.inner_text()
    links.first.click()
    page.wait_for_url(re.compile(r".*/rescue/jobs/\d+/"))
    assert number in page.content()


def test_a_regional_manager_sees_their_region_only(live_server, page, city):
    east = Region.objects.get(code="east")
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/quality/")
    assert east.name in page.get_by_test_id("scope-label").inner_text()
    south = Region.objects.get(code="south")
    response = page.goto(f"{live_server.url}/quality/?scope=region&key={south.pk}")
    assert response.status == 403
