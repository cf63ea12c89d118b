"""Closed forms of the M/M/c queue against published check values and hand calculations."""

import math

import pytest

from planner.estimate.queueing import (
    erlang_b,
    erlang_c,
    min_servers_for_wait,
    mm1_sojourn_quantile_s,
    mmc_mean_wait_s,
    mmc_wait_quantile_s,
)


def _erlang_c_textbook(c: int, a: float) -> float:
    """The factorial form, fine for small c: an independent check of the recursion."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(
    ("servers", "offered_load", "expected"),
    [(3, 2.0, 0.4444), (3, 2.5, 0.7022), (4, 2.5, 0.3199), (5, 2.5, 0.1304), (6, 2.5, 0.0474)],
)
def test_erlang_c_check_values(servers: int, offered_load: float, expected: float) -> None:
    assert erlang_c(servers, offered_load) == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(("servers", "offered_load"), [(1, 0.5), (2, 1.9), (7, 3.3), (20, 17.0), (40, 39.5)])
def test_erlang_c_matches_factorial_form(servers: int, offered_load: float) -> None:
    assert erlang_c(servers, offered_load) == pytest.approx(_erlang_c_textbook(servers, offered_load), rel=1e-9)


def test_erlang_c_of_one_server_is_utilisation() -> None:
    assert erlang_c(1, 0.7) == pytest.approx(0.7)


@pytest.mark.parametrize(("servers", "offered_load"), [(500, 480.0), (500, 499.9), (5000, 4900.0)])
def test_erlang_c_large_pool_stays_finite(servers: int, offered_load: float) -> None:
    c = erlang_c(servers, offered_load)
    assert 0 < c < 1
    assert math.isfinite(mmc_mean_wait_s(offered_load, 1.0, servers))


def test_erlang_b_small_case_by_hand() -> None:
    # B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2
    assert erlang_b(2, 1.0) == pytest.approx(0.2)


def test_unstable_system() -> None:
    assert erlang_c(2, 2.0) == 1.0
    assert mmc_mean_wait_s(3.0, 1.0, 2) == math.inf
    assert mmc_wait_quantile_s(3.0, 1.0, 2, 0.95) == math.inf
    assert mm1_sojourn_quantile_s(1.0, 1.0, 0.95) == math.inf


def test_mean_wait_is_erlang_c_over_drain_rate() -> None:
    # lambda 2.5/s, mu 1/s, c 4: Wq = C / (c mu - lambda) = 0.3199 / 1.5
    assert mmc_mean_wait_s(2.5, 1.0, 4) == pytest.approx(0.3199 / 1.5, rel=2e-4)
    assert mmc_mean_wait_s(0.0, 1.0, 4) == 0.0


def test_wait_quantile_inverts_the_tail() -> None:
    lam, mu, c, q = 2.5, 1.0, 4, 0.95
    t = mmc_wait_quantile_s(lam, mu, c, q)
    assert erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t) == pytest.approx(1 - q)


def test_wait_quantile_is_zero_when_few_requests_wait() -> None:
    # C(6, 2.5) = 0.0474 < 5 %: the 95th percentile request does not wait.
    assert mmc_wait_quantile_s(2.5, 1.0, 6, 0.95) == 0.0


@pytest.mark.parametrize(("lam", "mu"), [(0.5, 1.0), (8.0, 10.0), (0.0, 3.0)])
def test_mm1_p95_sojourn(lam: float, mu: float) -> None:
    assert mm1_sojourn_quantile_s(lam, mu, 0.95) == pytest.approx(math.log(20) / (mu - lam))


def test_min_servers_is_the_smallest_meeting_the_target() -> None:
    lam, mu, target = 25.0, 1.0, 0.1
    c = min_servers_for_wait(lam, mu, target, q=0.95, max_utilisation=1.0)
    assert mmc_wait_quantile_s(lam, mu, c, 0.95) <= target
    assert c - 1 <= lam / mu or mmc_wait_quantile_s(lam, mu, c - 1, 0.95) > target


def test_min_servers_respects_the_utilisation_cap() -> None:
    # A generous wait target would allow 12 servers for 10 erlangs; the 0.5 cap needs 20.
    assert min_servers_for_wait(10.0, 1.0, 100.0, max_utilisation=0.5) == 20


def test_min_servers_large_load() -> None:
    c = min_servers_for_wait(10_000.0, 1.0, 0.01, max_utilisation=1.0)
    assert 10_000 < c < 10_300
    assert mmc_wait_quantile_s(10_000.0, 1.0, c, 0.95) <= 0.01


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_c(0, 1.0), '"servers" must be > 0'),
        (lambda: erlang_c(-2, 1.0), '"servers" must be > 0'),
        (lambda: erlang_c(2, -1.0), '"offered_load" must be >= 0'),
        (lambda: mmc_mean_wait_s(-1.0, 1.0, 2), '"arrival_rate" must be >= 0'),
        (lambda: mmc_mean_wait_s(1.0, 0.0, 2), '"service_rate" must be > 0'),
        (lambda: mmc_wait_quantile_s(1.0, 2.0, 2, 1.0), '"q" must be > 0 and < 1'),
        (lambda: min_servers_for_wait(1.0, 2.0, -1.0), '"target_wait_quantile_s" must be >= 0'),
        (lambda: min_servers_for_wait(1.0, 2.0, 1.0, max_utilisation=0.0), '"max_utilisation"'),
    ],
)
def test_bad_arguments_raise(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
