"""The demo city's assurance step: last month drawn per region, calls made, actions open."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from anxin.assurance.choices import ActionState
from anxin.assurance.demo import build_assurance
from anxin.assurance.models import Callback, Draw, ImprovementAction, MysteryReport

AS_OF = dt.datetime(2026, 12, 3, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_the_demo_step_draws_calls_and_opens_actions(monkeypatch):
    from anxin.demo import builder

    steps = builder.STEPS[: builder.STEPS.index(builder.build_open_jobs) + 1]
    monkeypatch.setattr(builder, "STEPS", (*steps, build_assurance))
    builder.build(seed=7, as_of=AS_OF)
    draws = Draw.objects.filter(period="2026-11", purpose="callback")
    assert draws.count() == 2
    east = draws.get(region__code="east")
    assert east.population_size > 0 and east.sample_size >= east.population_size / 10
    done = Callback.objects.filter(draw=east, state="completed")
    assert done.exists() and done.filter(reached=True, satisfied=True).exists()
    assert Callback.objects.filter(draw=east, state="open").exists()
    states = set(ImprovementAction.objects.values_list("state", flat=True))
    assert {ActionState.OPEN} <= states
    assert any(a.is_overdue(AS_OF.date()) for a in ImprovementAction.objects.all())
    assert MysteryReport.objects.count() == 3
