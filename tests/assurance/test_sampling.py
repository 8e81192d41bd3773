"""The stratified draw: sizes per stratum, every stratum represented, reproducible by seed."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.assurance import sampling

strata_sizes = st.dictionaries(
    st.sampled_from([f"outlet:{i}" for i in range(12)] + ["base:1", "base:-"]),
    st.integers(min_value=0, max_value=60),
    max_size=10,
)
rates = st.sampled_from([Fraction(1, 10), Fraction(1, 5), Fraction(1, 3), Fraction(1, 1)])
seeds = st.integers(min_value=0, max_value=2**40)


def population(sizes: dict[str, int]) -> list[sampling.Unit]:
    return [
        sampling.Unit(f"customer:{stratum}-{i}", stratum)
        for stratum, n in sizes.items()
        for i in range(n)
    ]


@given(strata_sizes, rates, seeds)
@settings(max_examples=150, deadline=None)
def test_each_stratum_gets_the_rate_rounded_up_and_at_least_one(sizes, rate, seed):
    sample = sampling.draw(population(sizes), rate=rate, seed=seed)
    by_stratum = {}
    for key in sample.chosen:
        stratum = key.split(":", 1)[1].rsplit("-", 1)[0]
        by_stratum[stratum] = by_stratum.get(stratum, 0) + 1
    for stratum, n in sizes.items():
        expected = min(n, math.ceil(rate * n))
        assert by_stratum.get(stratum, 0) == expected
        if n:
            assert by_stratum[stratum] >= 1  # every outlet with customers is represented
            assert sample.strata[stratum] == [n, expected]
    assert len(sample.chosen) >= rate * sum(sizes.values())
    assert sample.population_size == sum(sizes.values())


@given(strata_sizes, rates, seeds)
@settings(max_examples=100, deadline=None)
def test_the_same_seed_and_population_give_the_same_sample_in_any_order(sizes, rate, seed):
    units = population(sizes)
    first = sampling.draw(units, rate=rate, seed=seed)
    again = sampling.draw(list(reversed(units)), rate=rate, seed=seed)
    assert first.chosen == again.chosen
    assert first.population_hash == again.population_hash
    assert set(first.chosen) <= {u.key for u in units}
    assert len(set(first.chosen)) == len(first.chosen)


def test_another_seed_draws_another_sample():
    units = population({"outlet:1": 200})
    a = sampling.draw(units, rate=Fraction(1, 10), seed=1)
    b = sampling.draw(units, rate=Fraction(1, 10), seed=2)
    assert len(a.chosen) == len(b.chosen) == 20
    assert a.chosen != b.chosen


def test_the_population_hash_pins_the_population():
    units = population({"outlet:1": 5})
    h = sampling.draw(units, rate="0.1", seed=7).population_hash
    assert h == sampling.population_hash(u.key for u in units)
    assert h != sampling.population_hash([u.key for u in units][:-1])


def test_a_unit_in_two_strata_and_a_bad_rate_are_refused():
    import pytest

    with pytest.raises(ValueError):
        sampling.draw([sampling.Unit("a", "x"), sampling.Unit("a", "y")], rate="0.1", seed=1)
    with pytest.raises(ValueError):
        sampling.draw([], rate=0, seed=1)


def test_the_sample_is_a_known_fixed_answer_for_a_known_seed():
    """Reproducible across machines: sha256 ranking, not Python's random module."""
    units = population({"outlet:1": 10, "outlet:2": 3})
    sample = sampling.draw(units, rate=Fraction(1, 10), seed=20261101)
    ranked = sorted(
        (u.key for u in units if u.stratum == "outlet:1"),
        key=lambda k: sampling.rank(20261101, k),
    )
    assert ranked[0] in sample.chosen
    assert len(sample.chosen) == 2
