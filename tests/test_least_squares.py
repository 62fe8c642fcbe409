"""Closed-form least squares against numpy, scikit-learn, statsmodels and NIST certified values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LinearRegression, Ridge

import linmodels as lm
from linmodels.least_squares import METHODS


def _problem(rng, n=200, d=6, k=None, noise=0.1):
  xs = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.normal(size=d)
  w = rng.normal(size=(d,) if k is None else (d, k))
  ys = xs @ w + 0.7 + noise * rng.normal(size=(n,) if k is None else (n, k))
  return xs, ys


def _rel(a, b):
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  return np.linalg.norm(a - b) / np.linalg.norm(b)


# Backward-stable methods reach ~cond·eps; the normal equations ~cond²·eps. The designs here have
# cond(X) < 10 after centring and scaling, so 1e-10 is loose for all; the acceptance asks
# ≤ 1e-10 for qr/svd, and we hold every method to it.
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_matches_numpy_lstsq_float64(x64, rng, method, fit_intercept):
  xs, ys = _problem(rng)
  a = np.c_[xs, np.ones(len(xs))] if fit_intercept else xs
  ref = np.linalg.lstsq(a, ys, rcond=None)[0]
  params, info = lm.lstsq(xs, ys, method=method, fit_intercept=fit_intercept)
  got = np.r_[params.w, params.b] if fit_intercept else np.asarray(params.w)
  assert params.w.dtype == jnp.float64
  assert _rel(got, ref) <= 1e-10
  assert int(info.rank) == xs.shape[1]
  if not fit_intercept:
    assert float(params.b) == 0.0


@pytest.mark.parametrize("method", METHODS)
def test_several_outputs_at_once(x64, rng, method):
  xs, ys = _problem(rng, k=3)
  params, _ = lm.lstsq(xs, ys, method=method)
  assert params.w.shape == (6, 3) and params.b.shape == (3,)
  for j in range(3):
    pj, _ = lm.lstsq(xs, ys[:, j], method=method)
    np.testing.assert_allclose(params.w[:, j], pj.w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(params.b[j], pj.b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", ["auto", "cholesky", "qr", "svd"])
def test_matches_sklearn_linear_regression_with_weights(x64, rng, method):
  xs, ys = _problem(rng)
  sw = rng.uniform(0.1, 2.0, size=len(xs))
  ref = LinearRegression().fit(xs, ys, sample_weight=sw)
  params, _ = lm.lstsq(xs, ys, method=method, sample_weight=sw)
  assert _rel(params.w, ref.coef_) <= 1e-10
  assert abs(float(params.b) - ref.intercept_) <= 1e-10 * (1 + abs(ref.intercept_))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("l2", [0.1, 10.0, 1000.0])
def test_ridge_matches_sklearn_intercept_unpenalised(x64, rng, method, l2):
  xs, ys = _problem(rng, n=50, d=8)
  sw = rng.uniform(0.5, 1.5, size=len(xs))
  ref = Ridge(alpha=l2, solver="svd").fit(xs, ys, sample_weight=sw)
  params, _ = lm.lstsq(xs, ys, l2, method=method, sample_weight=sw)
  assert _rel(params.w, ref.coef_) <= 1e-9
  assert abs(float(params.b) - ref.intercept_) <= 1e-9 * (1 + abs(ref.intercept_))


def test_ridge_path_vmap_equals_loop_and_traces_once(x64, rng):
  xs, ys = _problem(rng, n=60, d=5)
  l2s = jnp.logspace(-3, 3, 16)

  @jax.jit
  @jax.vmap
  def path(l2):
    return lm.lstsq(xs, ys, l2)[0].w

  ws = path(l2s)
  for l2, w in zip(l2s, ws):
    np.testing.assert_allclose(w, Ridge(alpha=float(l2)).fit(xs, ys).coef_, rtol=1e-9, atol=1e-12)


def test_duplicated_column_gives_minimum_norm_and_rank(x64, rng):
  xs, ys = _problem(rng, n=40, d=4)
  dup = np.c_[xs, xs[:, 1]]
  params, info = lm.lstsq(dup, ys, method="svd", fit_intercept=False)
  ref = np.linalg.pinv(dup) @ ys
  assert _rel(params.w, ref) <= 1e-10
  np.testing.assert_allclose(params.w[1], params.w[4], rtol=1e-10)  # min norm splits evenly
  assert int(info.rank) == 4
  # auto notices the rank deficiency and takes the stable path; same columns, same norms, so its
  # scaled-frame minimum-norm solution is this one too.
  params_auto, info_auto = lm.lstsq(dup, ys, fit_intercept=False)
  assert bool(info_auto.stable) and int(info_auto.rank) == 4
  assert _rel(params_auto.w, ref) <= 1e-8


def test_wide_design_minimum_norm(x64, rng):
  xs = rng.normal(size=(10, 30))
  ys = rng.normal(size=10)
  params, info = lm.lstsq(xs, ys, method="svd", fit_intercept=False)
  assert _rel(params.w, np.linalg.pinv(xs) @ ys) <= 1e-10
  assert int(info.rank) == 10
  np.testing.assert_allclose(xs @ np.asarray(params.w), ys, atol=1e-10)  # interpolates
  # With an intercept the centred design has rank n - 1: still interpolates, w is min-norm.
  p2, info2 = lm.lstsq(xs, ys, method="svd")
  assert int(info2.rank) == 9
  xc = xs - xs.mean(0)
  assert _rel(p2.w, np.linalg.pinv(xc) @ (ys - ys.mean())) <= 1e-10
  p3, info3 = lm.lstsq(xs, ys)  # auto
  assert bool(info3.stable)
  np.testing.assert_allclose(xs @ np.asarray(p3.w) + float(p3.b), ys, atol=1e-8)


def test_float32_in_float32_out_and_ints_cast(rng):
  xs, ys = _problem(rng)
  params, info = lm.lstsq(xs.astype(np.float32), ys.astype(np.float32))
  assert params.w.dtype == jnp.float32 and params.b.dtype == jnp.float32
  assert info.cond.dtype == jnp.float32
  p_int, _ = lm.lstsq(np.arange(12).reshape(6, 2) % 5, np.arange(6))
  assert p_int.w.dtype == jnp.float32


def test_float32_accuracy_against_float64_reference(rng):
  # float32 on a well-conditioned problem: every method within a few hundred eps of float64.
  xs, ys = _problem(rng, n=500, d=8)
  ref = np.linalg.lstsq(np.c_[xs, np.ones(500)], ys, rcond=None)[0]
  for method in METHODS:
    params, _ = lm.lstsq(xs.astype(np.float32), ys.astype(np.float32), method=method)
    assert _rel(np.r_[params.w, params.b], ref) <= 1e-5, method


def _design_with_cond(rng, n, d, cond):
  u, _ = np.linalg.qr(rng.normal(size=(n, d)))
  v, _ = np.linalg.qr(rng.normal(size=(d, d)))
  s = np.logspace(0, -np.log10(cond), d)
  return (u * s) @ v.T


def test_auto_leaves_plain_normal_equations_when_ill_conditioned_float32(rng):
  # cond(X) = 1e3 in float32: the normal equations lose cond²·eps ≈ 0.1 of relative accuracy.
  xs = _design_with_cond(rng, 2000, 10, 1e3)
  w_true = rng.normal(size=10)
  ys = xs @ w_true
  ref = np.linalg.lstsq(xs, ys, rcond=None)[0]
  x32, y32 = xs.astype(np.float32), ys.astype(np.float32)
  chol, info_c = lm.lstsq(x32, y32, method="cholesky", fit_intercept=False)
  auto, info_a = lm.lstsq(x32, y32, fit_intercept=False)
  assert not bool(info_c.stable)
  # info.cond is that of the column-scaled design (the frame auto factorises in).
  np.testing.assert_allclose(float(info_a.cond), np.linalg.cond(xs / np.linalg.norm(xs, axis=0)),
                             rtol=1e-2)  # a power-iteration estimate on the float32 Gram matrix
  err_auto, err_chol = _rel(auto.w, ref), _rel(chol.w, ref)
  assert err_auto <= 1e-4 < err_chol  # measured: ~1e-5 (refinement route) against ~5e-2
  assert err_auto * 100 < err_chol
  # Past 0.5/√eps auto leaves the normal equations altogether (QR + SVD of R).
  xs2 = _design_with_cond(rng, 2000, 10, 1e4).astype(np.float32)
  _, info2 = lm.lstsq(xs2, (xs2 @ w_true).astype(np.float32), fit_intercept=False)
  assert bool(info2.stable)


def test_condition_estimate_and_conditioning(x64, rng):
  xs = _design_with_cond(rng, 300, 6, 1e4)
  cond, rank = lm.conditioning(xs, fit_intercept=False, scale=False)
  np.testing.assert_allclose(float(cond), np.linalg.cond(xs), rtol=1e-8)
  assert int(rank) == 6
  _, info = lm.lstsq(xs, xs @ np.ones(6), method="cholesky", fit_intercept=False)
  c_scaled, _ = lm.conditioning(xs, fit_intercept=False)
  np.testing.assert_allclose(float(info.cond), float(c_scaled), rtol=0.05)  # power-iteration estimate


# NIST StRD linear regression, certified values (https://www.itl.nist.gov/div898/strd/lls/).
LONGLEY_CERTIFIED = np.array([
    15.0618722713733, -0.358191792925910e-01, -2.02022980381683, -1.03322686717359,
    -0.511041056535807e-01, 1829.15146461355])
LONGLEY_INTERCEPT = -3482258.63459582


def _lre(got, cert):
  """NIST's log relative error: the number of correct significant digits (capped at 15)."""
  got, cert = np.asarray(got, np.float64), np.asarray(cert, np.float64)
  with np.errstate(divide="ignore"):
    lre = -np.log10(np.abs(got - cert) / np.abs(cert))
  return np.minimum(lre, 15.0)


def test_nist_longley_float64_beats_numpy_and_statsmodels(x64):
  from statsmodels.datasets import longley
  data = longley.load_pandas()
  xs, ys = data.exog.to_numpy(float), data.endog.to_numpy(float)
  params, info = lm.lstsq(xs, ys)
  ours = np.r_[params.w, params.b]
  cert = np.r_[LONGLEY_CERTIFIED, LONGLEY_INTERCEPT]
  a = np.c_[xs, np.ones(len(xs))]
  np_lre = _lre(np.linalg.lstsq(a, ys, rcond=None)[0], cert).min()
  sm_lre = _lre(sm.OLS(ys, a).fit().params, cert).min()
  our_lre = _lre(ours, cert).min()
  assert our_lre >= 12.0  # measured: see the issue note; numpy and statsmodels are printed below
  assert our_lre >= max(np_lre, sm_lre), (our_lre, np_lre, sm_lre)


@pytest.mark.parametrize("which", [1, 2])
def test_nist_wampler_polynomials_float64(x64, which):
  # Wampler1: y = 1 + x + ... + x⁵; Wampler2: y = 1 + 0.1x + ... + 1e-5x⁵; x = 0..20. Certified
  # coefficients are exactly 1 and 10⁻ʲ; the data are exact, so we generate them.
  x = np.arange(21.0)
  coef = np.ones(6) if which == 1 else 10.0 ** -np.arange(6)
  vander = x[:, None] ** np.arange(1, 6)
  ys = coef[0] + vander @ coef[1:]
  params, _ = lm.lstsq(vander, ys)
  got = np.r_[params.b, params.w]
  a = np.c_[np.ones(21), vander]
  np_lre = _lre(np.linalg.lstsq(a, ys, rcond=None)[0], coef).min()
  our_lre = _lre(got, coef).min()
  assert our_lre >= 9.0
  assert our_lre >= np_lre - 0.5, (our_lre, np_lre)


def test_high_degree_polynomial_keeps_every_dimension(x64):
  # scikit-learn 1.9's LinearRegression drops near-dependent columns on such designs; the default
  # path must keep all of them (rank 10) and fit the exact polynomial.
  x = np.linspace(0.0, 1.0, 60)
  vander = x[:, None] ** np.arange(1, 11)
  coef = np.linspace(1.0, -1.0, 10)
  ys = 0.5 + vander @ coef
  params, info = lm.lstsq(vander, ys)
  assert int(info.rank) == 10
  np.testing.assert_allclose(vander @ np.asarray(params.w) + float(params.b), ys, atol=1e-9)


def test_jit_with_traced_l2_and_method_argument(rng):
  xs, ys = _problem(rng)
  fit = jax.jit(lambda l2: lm.lstsq(xs, ys, l2, method="qr")[0])
  np.testing.assert_allclose(fit(0.0).w, lm.lstsq(xs, ys, method="qr")[0].w, rtol=1e-5)
  with pytest.raises(ValueError, match="unknown method 'lu'"):
    lm.lstsq(xs, ys, method="lu")


def test_ridge_path_equals_per_strength_fits(x64, rng):
  xs, ys = _problem(rng, n=50, d=8)
  l2s = np.array([0.0, 0.01, 1.0, 100.0])
  path = lm.ridge_path(xs, ys, l2s)
  assert path.w.shape == (4, 8) and path.b.shape == (4,)
  for i, l2 in enumerate(l2s):
    ref = Ridge(alpha=l2, solver="svd").fit(xs, ys) if l2 > 0 else LinearRegression().fit(xs, ys)
    np.testing.assert_allclose(path.w[i], ref.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(path.b[i], ref.intercept_, rtol=1e-9)


def test_tall_float32_design_keeps_its_small_directions(rng):
  # numpy's rcond = eps·max(n, d) would be 2.4e-3 here and truncate the 1e-3 direction.
  xs = _design_with_cond(rng, 20_000, 8, 1e3).astype(np.float32)
  ys = (xs @ rng.normal(size=8)).astype(np.float32)
  ref = np.linalg.lstsq(xs.astype(np.float64), ys.astype(np.float64), rcond=None)[0]
  for method in ("svd", "qr", "auto"):
    params, info = lm.lstsq(xs, ys, method=method, fit_intercept=False)
    assert int(info.rank) == 8, method
    assert _rel(params.w, ref) < 1e-3, (method, _rel(params.w, ref))


def test_mixed_is_auto_on_cpu(rng):
  # A CPU computes reduced-precision products in full float32: "mixed" is "auto" there.
  if jax.default_backend() != "cpu":
    pytest.skip("a CPU property; on a GPU mixed uses the TF32 units")
  xs = rng.normal(size=(300, 4)).astype(np.float32)
  ys = (xs @ rng.normal(size=4)).astype(np.float32)
  mixed, _ = lm.lstsq(xs, ys, method="mixed")
  auto, _ = lm.lstsq(xs, ys, method="auto")
  np.testing.assert_array_equal(mixed.w, auto.w)


def test_mixed_precision_falls_back_instead_of_returning_nan(rng, monkeypatch):
  # cond 1e3: a reduced-precision factor could not be refined; "mixed" must take the
  # full-precision route and reach auto's accuracy. A singular design breaks the factor outright.
  # Traced as on a GPU (on CPU "mixed" is "auto"), with the device's Gram path.
  from linmodels import row_passes
  monkeypatch.setattr(row_passes, "_on_cpu", lambda: False)
  xs = _design_with_cond(rng, 2000, 10, 1e3)
  ys = xs @ rng.normal(size=10)
  ref = np.linalg.lstsq(xs, ys, rcond=None)[0]
  mixed, _ = lm.lstsq(xs.astype(np.float32), ys.astype(np.float32), method="mixed", fit_intercept=False)
  assert _rel(mixed.w, ref) <= 1e-4
  dup = np.c_[xs[:, :3], xs[:, :1]].astype(np.float32)
  p, info = lm.lstsq(dup, ys.astype(np.float32), method="mixed")
  assert np.all(np.isfinite(p.w)) and int(info.rank) == 3 and bool(info.stable)
  aug = np.c_[dup, np.ones(2000)]
  fitted_ref = aug @ np.linalg.lstsq(aug, ys, rcond=None)[0]  # fitted values are unique
  np.testing.assert_allclose(dup @ np.asarray(p.w) + float(p.b), fitted_ref, rtol=1e-3, atol=1e-3)


def test_refinement_never_makes_cholesky_worse_past_its_range(rng):
  # cond 1e4 in float32 is past 1/√eps: refinement no longer contracts. It must stop rather than
  # grow the error (it reached 1e6 relative error before the guard).
  xs = _design_with_cond(rng, 4000, 16, 1e4)
  ys = xs @ rng.normal(size=16)
  ref = np.linalg.lstsq(xs, ys, rcond=None)[0]
  x32, y32 = xs.astype(np.float32), ys.astype(np.float32)
  chol, _ = lm.lstsq(x32, y32, method="cholesky", fit_intercept=False)
  refined, _ = lm.lstsq(x32, y32, method="refine", fit_intercept=False)
  assert np.all(np.isfinite(refined.w))
  assert _rel(refined.w, ref) <= _rel(chol.w, ref)


def _np_ridge(xs, ys, l2, sw):
  """float64 numpy reference: weighted ridge with an unpenalised intercept, as one augmented
  least-squares problem [√s X, √s; √l2 I, 0] [w; b] = [√s y; 0]."""
  n, d = xs.shape
  r = np.sqrt(sw)[:, None]
  a = np.block([[xs * r, r], [np.sqrt(l2) * np.eye(d), np.zeros((d, 1))]])
  return np.linalg.lstsq(a, np.r_[ys * r[:, 0], np.zeros(d)], rcond=None)[0]


@pytest.mark.parametrize("method", ["auto", "refine", "cholesky", "qr", "svd"])
def test_reverse_mode_gradient_matches_finite_differences(x64, rng, method):
  # "auto" and "refine" end in a while loop (the refinement), which jax.grad cannot differentiate;
  # their answer carries the derivative of the normal equations' solution instead. Checked here
  # against central differences of a float64 numpy solve, for the data, the targets, the
  # weights and the penalty at once.
  n, d = 40, 4
  xs, ys, sw = rng.normal(size=(n, d)), rng.normal(size=n), rng.uniform(0.5, 2.0, size=n)
  l2 = 0.3
  c = rng.normal(size=d + 1)   # a fixed linear functional of (w, b)

  def f(xs, ys, sw, l2):
    p, _ = lm.lstsq(xs, ys, l2, method=method, sample_weight=sw)
    return jnp.dot(c, jnp.append(p.w, p.b))

  grads = jax.grad(f, argnums=(0, 1, 2, 3))(xs, ys, sw, l2)
  args = {"xs": xs, "ys": ys, "sw": sw, "l2": np.float64(l2)}

  def ref(shift_name, j, step):
    moved = {k: np.array(v, np.float64) for k, v in args.items()}
    moved[shift_name].reshape(-1)[j] += step
    return c @ _np_ridge(moved["xs"], moved["ys"], moved["l2"], moved["sw"])

  h = 1e-6
  for name, g in zip(args, grads):
    size = np.size(args[name])
    for j in rng.choice(size, size=min(size, 5), replace=False):
      fd = (ref(name, j, h) - ref(name, j, -h)) / (2 * h)
      np.testing.assert_allclose(np.asarray(g).reshape(-1)[j], fd, rtol=1e-6, atol=1e-8)


def test_ridge_path_gradient_in_each_strength(x64, rng):
  # d w / d l2 = -(XcᵀXc + l2 I)⁻¹ w for each strength of the path (centred data: intercept).
  xs, ys = rng.normal(size=(60, 5)), rng.normal(size=60)
  l2s = np.array([0.1, 1.0, 10.0])
  got = jax.jacrev(lambda l: jnp.sum(lm.ridge_path(xs, ys, l).w, axis=1))(jnp.asarray(l2s))
  xc, yc = xs - xs.mean(0), ys - ys.mean()
  for i, l2 in enumerate(l2s):
    a = xc.T @ xc + l2 * np.eye(5)
    want = -np.linalg.solve(a, np.linalg.solve(a, xc.T @ yc)).sum()
    np.testing.assert_allclose(float(got[i, i]), want, rtol=1e-8)
    assert np.all(np.asarray(got[i, np.arange(3) != i]) == 0)
