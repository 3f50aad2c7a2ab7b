"""Statistics shared by the stages' tables and the claims: exact paired tests and a t-interval for small n.

Every claim is a mean over seeds (or repetitions) of a per-seed effect, compared with a null value. With 3-15
seeds a percentile bootstrap is no interval at all (with 3 values its 95 % interval is their [min, max]), so:

* the verdict comes from an exact one-sided paired test in the claimed direction: the Wilcoxon signed-rank test
  (default), the sign test, or the one-sided t-test (`analysis.claims_test`), at `analysis.claims_alpha`;
* the interval shown beside it is the two-sided 95 % t-interval of the mean (descriptive);
* "k of n seeds agree" counts the seeds whose effect lies strictly on the claimed side of the null.

The Wilcoxon and sign tests are exact: their null distributions are enumerated, not approximated. Differences
exactly at the null carry no sign and are dropped (Wilcoxon's zero method), ties share their mid-rank. With 5
seeds the smallest attainable one-sided Wilcoxon p is 1/32 = 0.031: at alpha 0.05 every seed has to agree.

numpy and math only (table jobs run without scipy and torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TESTS = ("wilcoxon", "sign", "t")
GREATER, LESS = "greater", "less"


def _clean(values) -> np.ndarray:
    values = np.asarray(values, dtype=float).reshape(-1)
    return values[np.isfinite(values)]


# ---- Student's t distribution for integer degrees of freedom (closed forms, Abramowitz & Stegun 26.7.3-4) ----
def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with integer `df` >= 1 (exact finite sums, no special functions)."""
    if df < 1 or int(df) != df:
        raise ValueError(f"degrees of freedom must be an integer >= 1, got {df}")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    theta = math.atan(abs(t) / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    if df % 2 == 1:
        total, term = 0.0, c
        if df > 1:
            total = term
            for k in range(3, df - 1, 2):  # cos θ (1 + 2/3 cos²θ + 2·4/(3·5) cos⁴θ + ...)
                term *= (k - 1) / k * c * c
                total += term
        inside = 2.0 / math.pi * (theta + s * total)
    else:
        total, term = 1.0, 1.0
        for k in range(2, df - 1, 2):  # 1 + 1/2 cos²θ + 1·3/(2·4) cos⁴θ + ...
            term *= (k - 1) / k * c * c
            total += term
        inside = s * total
    inside = min(max(inside, 0.0), 1.0)  # P(|T| <= |t|)
    return 0.5 + 0.5 * inside if t >= 0 else 0.5 - 0.5 * inside


def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with integer `df` (bisection on `t_cdf`, to 1e-12)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"quantile level must be in (0, 1), got {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return 0.5 * (low + high)


def t_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided t-interval of the mean: mean ± t_{(1+c)/2, n-1} s / sqrt(n). NaN for fewer than two values."""
    values = _clean(values)
    if len(values) < 2:
        return np.nan, np.nan
    mean, sem = float(values.mean()), float(values.std(ddof=1)) / math.sqrt(len(values))
    half = t_quantile(0.5 + confidence / 2.0, len(values) - 1) * sem
    return mean - half, mean + half


def t_test(values, null: float = 0.0, alternative: str = GREATER) -> float:
    """One-sided one-sample t-test of mean > null (or < null): its p-value. NaN below two values; with zero
    spread the answer is 0 or 1 by the side of the mean."""
    values = _clean(values) - null
    if len(values) < 2:
        return np.nan
    sd = float(values.std(ddof=1))
    if sd == 0:
        mean = float(values.mean())
        if mean == 0:
            return 1.0
        return 0.0 if (mean > 0) == (alternative == GREATER) else 1.0
    t = float(values.mean()) / (sd / math.sqrt(len(values)))
    return 1.0 - t_cdf(t, len(values) - 1) if alternative == GREATER else t_cdf(t, len(values) - 1)


# ---- exact distribution-free tests ----
def sign_test(values, null: float = 0.0, alternative: str = GREATER) -> float:
    """Exact one-sided sign test: P(at least k of m signs on the `alternative` side) under p = 1/2, where m
    counts the values not equal to the null. 1.0 when every value equals the null; NaN for no values."""
    values = _clean(values) - null
    if len(values) == 0:
        return np.nan
    nonzero = values[values != 0]
    m = len(nonzero)
    if m == 0:
        return 1.0
    k = int((nonzero > 0).sum()) if alternative == GREATER else int((nonzero < 0).sum())
    return float(sum(math.comb(m, i) for i in range(k, m + 1)) / 2**m)


def _mid_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `values`, ties sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def wilcoxon_signed_rank(values, null: float = 0.0, alternative: str = GREATER) -> float:
    """Exact one-sided Wilcoxon signed-rank test: P(W+ >= observed) (or P(W- >= observed) for `less`) under
    the null that each difference's sign is a fair coin, given the mid-ranks of |differences|.

    Zeros are dropped; the null distribution of W+ is enumerated exactly (on doubled ranks, so tied half-ranks
    stay integers). 1.0 when every value equals the null; NaN for no values.
    """
    values = _clean(values) - null
    if len(values) == 0:
        return np.nan
    nonzero = values[values != 0]
    if len(nonzero) == 0:
        return 1.0
    ranks2 = np.rint(2 * _mid_ranks(np.abs(nonzero))).astype(int)  # doubled mid-ranks: integers
    side = nonzero > 0 if alternative == GREATER else nonzero < 0
    observed = int(ranks2[side].sum())
    counts = np.zeros(int(ranks2.sum()) + 1, dtype=object)  # exact integer counts, no overflow
    counts[0] = 1
    for r in ranks2:  # each rank joins W+ or not: the 2^m sign patterns, summed by their W+
        shifted = np.zeros_like(counts)
        shifted[r:] = counts[: len(counts) - r]
        counts = counts + shifted
    return float(sum(counts[observed:]) / 2 ** len(nonzero))


def one_sided_p(values, null: float = 0.0, alternative: str = GREATER, test: str = "wilcoxon") -> float:
    if test == "wilcoxon":
        return wilcoxon_signed_rank(values, null, alternative)
    if test == "sign":
        return sign_test(values, null, alternative)
    if test == "t":
        return t_test(values, null, alternative)
    raise ValueError(f"unknown test {test!r}; expected one of {', '.join(TESTS)}")


# ---- the summary every claim row and mask_share.csv use ----
@dataclass(frozen=True)
class Summary:
    """A per-seed effect over n seeds against a null: what a claim row reports."""

    n: int
    mean: float
    sd: float
    ci95_low: float
    ci95_high: float
    p_greater: float  # one-sided p of "mean > null"
    p_less: float  # one-sided p of "mean < null"
    k_greater: int  # seeds strictly above the null
    k_less: int  # seeds strictly below it
    test: str

    def verdict(self, min_n: int, alpha: float, claimed: str = GREATER) -> str:
        """`reproduced` when the one-sided test in the claimed direction rejects at `alpha`, `not reproduced`
        when the test in the opposite direction does, `inconclusive at this n` otherwise or when n < `min_n`."""
        return verdict_from_p(self.n, self.p_greater, self.p_less, min_n, alpha, claimed)

    def k_agree(self, claimed: str = GREATER) -> int:
        return self.k_greater if claimed == GREATER else self.k_less


REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive at this n"
NO_DATA = "not tested (no data)"


def verdict_from_p(n: int, p_greater: float, p_less: float, min_n: int, alpha: float, claimed: str = GREATER) -> str:
    if n == 0 or (np.isnan(p_greater) and np.isnan(p_less)):
        return NO_DATA
    if n < min_n:
        return INCONCLUSIVE
    p_for, p_against = (p_greater, p_less) if claimed == GREATER else (p_less, p_greater)
    if p_for < alpha:
        return REPRODUCED
    if p_against < alpha:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def summarise(values, null: float = 0.0, test: str = "wilcoxon") -> Summary:
    """Mean, sd, 95 % t-interval, both one-sided p-values of `test` and the seeds on each side of `null`."""
    values = _clean(values)
    n = len(values)
    low, high = t_interval(values)
    return Summary(
        n=n,
        mean=float(values.mean()) if n else np.nan,
        sd=float(values.std(ddof=1)) if n > 1 else np.nan,
        ci95_low=low,
        ci95_high=high,
        p_greater=one_sided_p(values, null, GREATER, test),
        p_less=one_sided_p(values, null, LESS, test),
        k_greater=int((values > null).sum()),
        k_less=int((values < null).sum()),
        test=test,
    )


def agreement_text(k: int, n: int, unit: str = "seeds") -> str:
    return f"{k} of {n} {unit} agree"


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a proportion k/n, by bisection on the binomial tails."""
    if n == 0:
        return np.nan, np.nan
    tail = (1.0 - confidence) / 2.0

    def upper_tail(p: float) -> float:  # P(X >= k | p)
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))

    def lower_tail(p: float) -> float:  # P(X <= k | p)
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(0, k + 1))

    def solve(f, target: float, increasing: bool) -> float:
        low, high = 0.0, 1.0
        for _ in range(100):
            mid = 0.5 * (low + high)
            if (f(mid) < target) == increasing:
                low = mid
            else:
                high = mid
        return 0.5 * (low + high)

    lower = 0.0 if k == 0 else solve(upper_tail, tail, increasing=True)
    upper = 1.0 if k == n else solve(lower_tail, tail, increasing=False)
    return lower, upper
