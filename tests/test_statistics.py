"""The claims' small-n statistics against known values: Student's t, the exact Wilcoxon signed-rank and sign tests,
the Clopper-Pearson interval, and the summary every claim row reports."""

import itertools
import math

import numpy as np
import pytest

from rltickets.core.statistics import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    clopper_pearson,
    one_sided_p,
    sign_test,
    summarise,
    t_cdf,
    t_interval,
    t_quantile,
    t_test,
    wilcoxon_signed_rank,
)


@pytest.mark.parametrize(
    ("df", "quantile"),
    # Two-sided 95 % critical values of Student's t (any statistics table).
    [(1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (9, 2.2622), (14, 2.1448), (29, 2.0452)],
)
def test_t_quantiles_match_the_tables(df, quantile):
    assert t_quantile(0.975, df) == pytest.approx(quantile, abs=1e-4)
    assert t_quantile(0.025, df) == pytest.approx(-quantile, abs=1e-4)
    assert t_cdf(quantile, df) == pytest.approx(0.975, abs=1e-5)


def test_t_distribution_matches_scipy():
    from scipy import stats

    for df in (1, 2, 3, 4, 7, 10):
        for t in (-4.0, -1.0, 0.0, 0.3, 2.5):
            assert t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), abs=1e-12)
    values = [1.0, 2.0, 3.0, 4.0, 5.5]
    assert t_test(values) == pytest.approx(stats.ttest_1samp(values, 0, alternative="greater").pvalue, abs=1e-12)
    low, high = t_interval(values)
    reference = stats.t.interval(0.95, 4, loc=np.mean(values), scale=stats.sem(values))
    assert (low, high) == pytest.approx(reference, abs=1e-9)
    with pytest.raises(ValueError, match="integer >= 1"):
        t_cdf(1.0, 0)


def test_a_t_interval_of_three_values_is_not_their_range():
    values = [0.1, 0.2, 0.6]
    low, high = t_interval(values)
    # mean 0.3, sd 0.2646, t(0.975, 2) = 4.303: 0.3 -/+ 0.657 (a percentile bootstrap would give about [0.1, 0.6])
    assert (low, high) == pytest.approx((0.3 - 0.6572, 0.3 + 0.6572), abs=1e-3)
    assert np.isnan(t_interval([1.0])[0])


def test_wilcoxon_exact_known_values():
    # All n positive: P = 1/2^n; with 5 seeds 1/32 = 0.03125, the smallest p attainable at that n.
    assert wilcoxon_signed_rank([1, 2, 3, 4, 5]) == pytest.approx(1 / 32)
    assert wilcoxon_signed_rank([0.3, 0.1, 0.2]) == pytest.approx(1 / 8)
    # n = 5 with the smallest difference negative: W+ = 14 of 15; P(W+ >= 14) = 2/32.
    assert wilcoxon_signed_rank([-1, 2, 3, 4, 5]) == pytest.approx(2 / 32)
    # ... and the other direction: P(W- >= 1) = 31/32.
    assert wilcoxon_signed_rank([-1, 2, 3, 4, 5], alternative="less") == pytest.approx(31 / 32)
    # Zeros carry no sign and are dropped (n = 4 left): 1/16.
    assert wilcoxon_signed_rank([0, 1, 2, 3, 4]) == pytest.approx(1 / 16)
    assert wilcoxon_signed_rank([0, 0]) == 1.0 and np.isnan(wilcoxon_signed_rank([]))
    assert wilcoxon_signed_rank([0.6, 0.7, 0.8], null=0.5) == pytest.approx(1 / 8)


def test_wilcoxon_matches_scipy_without_ties_and_enumeration_with_ties():
    from scipy import stats

    rng = np.random.default_rng(0)
    for n in range(2, 13):
        values = rng.normal(0.3, 1.0, n)
        expected = stats.wilcoxon(values, alternative="greater", method="exact").pvalue
        assert wilcoxon_signed_rank(values) == pytest.approx(expected, abs=1e-12)
    tied = np.array([1.0, 1.0, -2.0, 3.0, 3.0, 3.0, -1.0])
    ranks = stats.rankdata(np.abs(tied))
    observed = ranks[tied > 0].sum()
    count = sum(1 for signs in itertools.product((0, 1), repeat=len(tied)) if ranks @ np.array(signs) >= observed)
    assert wilcoxon_signed_rank(tied) == pytest.approx(count / 2 ** len(tied))


def test_sign_test_known_values():
    assert sign_test([1, 2, 3, 4, 5]) == pytest.approx(1 / 32)
    assert sign_test([1, 2, 3, 4, -5]) == pytest.approx(6 / 32)  # P(X >= 4 | Bin(5, 1/2))
    assert sign_test([1, -2, 0]) == pytest.approx(3 / 4)  # the zero is dropped: P(X >= 1 | Bin(2, 1/2))
    assert one_sided_p([1, 2, 3], test="sign") == pytest.approx(1 / 8)
    with pytest.raises(ValueError, match="unknown test"):
        one_sided_p([1, 2], test="bootstrap")


def test_clopper_pearson_known_values():
    from scipy import stats

    for k, n in ((0, 5), (3, 5), (5, 5), (7, 20)):
        reference = stats.binomtest(k, n).proportion_ci(confidence_level=0.95)
        assert clopper_pearson(k, n) == pytest.approx((reference.low, reference.high), abs=1e-9)
    assert clopper_pearson(5, 5)[0] == pytest.approx(0.025 ** (1 / 5))  # (alpha/2)^(1/n)


def test_summary_verdicts_and_agreement():
    agree = summarise([0.2, 0.4, 0.1, 0.3, 0.5])
    assert agree.n == 5 and agree.k_greater == 5 and agree.p_greater == pytest.approx(1 / 32)
    assert agree.verdict(min_n=5, alpha=0.05) == REPRODUCED
    assert agree.verdict(min_n=6, alpha=0.05) == INCONCLUSIVE
    against = summarise([-0.2, -0.4, -0.1, -0.3, -0.5])
    assert against.verdict(min_n=5, alpha=0.05) == NOT_REPRODUCED and against.k_agree() == 0
    mixed = summarise([0.2, -0.4, 0.1, 0.3, 0.5])
    assert mixed.k_greater == 4 and mixed.verdict(min_n=5, alpha=0.05) == INCONCLUSIVE
    shares = summarise([0.6, 0.7, 0.8, 0.9, 0.55], null=0.5)
    assert shares.verdict(5, 0.05) == REPRODUCED and shares.mean == pytest.approx(0.71)
    assert math.isnan(summarise([]).mean) and summarise([]).verdict(5, 0.05).startswith("not tested")


def test_three_seeds_that_all_agree_are_inconclusive():
    # With 3 seeds the exact one-sided tests cannot go below 1/8, and the default needs 5 seeds anyway: a
    # 3-seed effect in which every seed agrees is no verdict.
    three = summarise([0.2, 0.4, 0.1])
    assert three.k_greater == 3 and three.p_greater == pytest.approx(1 / 8)
    assert three.verdict(min_n=5, alpha=0.05) == INCONCLUSIVE
    assert three.verdict(min_n=3, alpha=0.05) == INCONCLUSIVE
