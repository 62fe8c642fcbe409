"""Every bad input of the shared checker raises a ValueError that names the problem and shapes."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import linmodels as lm


@pytest.mark.parametrize("xs,ys,match", [
    (np.ones((5, 2)), np.ones(4), r"different numbers of examples: xs.shape=\(5, 2\), ys.shape=\(4,\)"),
    (np.ones(5), np.ones(5), r"rank 2 \[n, d\], got shape \(5,\) \(one feature\? use xs\[:, None\]\)"),
    (np.ones((2, 2, 2)), np.ones(2), r"rank 2 \[n, d\], got shape \(2, 2, 2\)"),
    (np.ones((3, 2)), np.ones((3, 1, 1)), r"ys must have rank 1 \[n\] or 2 \[n, k\], got shape \(3, 1, 1\)"),
    (np.ones((0, 2)), np.ones(0), r"xs is empty: no examples, shape \(0, 2\)"),
    (np.ones((3, 0)), np.ones(3), r"xs has no features, shape \(3, 0\)"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2), r"xs holds 1 non-finite value\(s\) \(NaN or inf\), first at index \(0, 1\)"),
    (np.ones((2, 2)), np.array([1.0, np.inf]), r"ys holds 1 non-finite value"),
    (np.ones((2, 2)) + 1j, np.ones(2), r"xs must be real"),
])
def test_bad_regression_inputs(xs, ys, match):
  with pytest.raises(ValueError, match=match):
    lm.lstsq(xs, ys)


def test_integer_inputs_are_cast_to_float():
  xs, ys = lm.check_xy(np.arange(6).reshape(3, 2), [1, 2, 3])
  assert xs.dtype == jnp.float32 and ys.dtype == jnp.float32


@pytest.mark.parametrize("sw,match", [
    (np.ones(3), r"sample_weight must have shape \(4,\), got \(3,\)"),
    (np.array([1.0, -1.0, 1.0, 1.0]), "1 negative value"),
    (np.zeros(4), "zero everywhere"),
    (np.array([1.0, np.nan, 1.0, 1.0]), "sample_weight holds 1 non-finite"),
])
def test_bad_sample_weights(sw, match):
  with pytest.raises(ValueError, match=match):
    lm.lstsq(np.eye(4), np.ones(4), sample_weight=sw)


@pytest.mark.parametrize("labels,match", [
    ([0, 1, 2], r"values \[2\] outside the allowed set \[0, 1\]"),
    ([0, 1], "has 2 entries but xs has 3 examples"),
    ([0.5, 1, 0], "must be integers"),
    ([[0, 1, 0]], r"rank 1 \[n\]"),
])
def test_bad_labels(labels, match):
  with pytest.raises(ValueError, match=match):
    lm.check_labels(labels, 3, allowed=(0, 1))


@pytest.mark.parametrize("fit", ["lstsq", "ridge_path", "fit_logistic", "fit_softmax",
                                 "fit_polynomial"])
@pytest.mark.parametrize("l2,got", [(-1.0, "-1.0"), (np.nan, "nan"), (np.inf, "inf"),
                                    (jnp.float32(-0.5), "-0.5")])
def test_bad_penalties(fit, l2, got):
  # A negative ridge makes the objective unbounded or non-convex; NaN made every weight NaN.
  xs = np.random.default_rng(0).normal(size=(12, 2)).astype(np.float32)
  labels = (xs[:, 0] > 0).astype(np.int32)
  calls = {
      "lstsq": lambda: lm.lstsq(xs, xs[:, 0], l2),
      "ridge_path": lambda: lm.ridge_path(xs, xs[:, 0], jnp.array([1.0, l2, 2.0])),
      "fit_logistic": lambda: lm.fit_logistic(xs, labels, l2),
      "fit_softmax": lambda: lm.fit_softmax(xs, labels, l2),
      "fit_polynomial": lambda: lm.fit_polynomial(xs[:, 0], xs[:, 1], 2, l2=l2),
  }
  name, got = ("l2s", rf"\[{got}\] among shape \(3,\)") if fit == "ridge_path" else ("l2", got)
  with pytest.raises(ValueError, match=rf"{name} must be finite and non-negative, got {got}"):
    calls[fit]()


@pytest.mark.parametrize("call", [
    lambda xs, rcond: lm.lstsq(xs, xs[:, 0], method="svd", rcond=rcond),
    lambda xs, rcond: lm.lstsq(xs, xs[:, 0], rcond=rcond),
    lambda xs, rcond: lm.conditioning(xs, rcond=rcond)])
def test_bad_rcond(call):
  # A negative cutoff kept every singular value, zeros included, and divided by them.
  xs = np.random.default_rng(0).normal(size=(12, 2)).astype(np.float32)
  for rcond, got in ((-1.0, "-1.0"), (np.nan, "nan")):
    with pytest.raises(ValueError, match=rf"rcond must be finite and non-negative, got {got}"):
      call(xs, rcond)
  call(xs, 0.0)  # zero keeps every nonzero singular value


def test_traced_penalties_pass_unchecked():
  xs = np.random.default_rng(0).normal(size=(12, 2)).astype(np.float32)
  ws = jax.vmap(lambda l2: lm.lstsq(xs, xs[:, 0], l2)[0].w)(jnp.array([0.0, 1.0]))
  np.testing.assert_allclose(ws, lm.ridge_path(xs, xs[:, 0], jnp.array([0.0, 1.0])).w,
                             rtol=1e-4, atol=1e-6)

def test_shape_errors_raise_under_jit_and_values_are_documented_to_pass():
  # Shapes are static: the error comes at trace time under jit too.
  with pytest.raises(ValueError, match="different numbers of examples"):
    jax.jit(lambda xs, ys: lm.lstsq(xs, ys)[0])(jnp.ones((5, 2)), jnp.ones(4))
  # Values are not visible under jit: a NaN propagates into the result instead of raising.
  params = jax.jit(lambda xs, ys: lm.lstsq(xs, ys)[0])(jnp.array([[1.0], [jnp.nan]]), jnp.ones(2))
  assert not np.isfinite(np.asarray(params.w)).all()


@pytest.mark.parametrize("x,bad", [
    (np.array([[1e38, 1e38], [3e38, 1.0]], np.float32), 0),      # the sum overflows; all finite
    (np.array([[np.inf, -np.inf], [1.0, 2.0]], np.float32), 2),  # the sum cancels to NaN
    (np.array([[1.0, 2.0], [np.nan, 0.0]], np.float32), 1),
    (jnp.array([[1.0, -np.inf]]), 1),
])
def test_the_one_sum_finiteness_check_agrees_with_an_elementwise_scan(x, bad):
  assert int((~np.isfinite(np.asarray(x))).sum()) == bad  # the reference
  if bad:
    with pytest.raises(ValueError, match=f"xs holds {bad} non-finite value"):
      lm.check_xs(x)
  else:
    lm.check_xs(x)


def test_the_device_sum_check_works_inside_a_users_jit():
  # A GPU array closed over by a user's jit is concrete while the jit traces; its one-sum check
  # must run eagerly, not into the trace (on the H100 it raised TracerBoolConversionError). The
  # device branch runs here on CPU arrays.
  seen = []
  good, bad = jnp.ones((3, 2)), jnp.array([[1.0, jnp.nan]])

  def traced(v):
    seen.append((lm.checks._device_sum_is_finite(good), lm.checks._device_sum_is_finite(bad)))
    return v

  jax.jit(traced)(1.0)
  assert seen == [(True, False)]


@pytest.mark.parametrize("labels,kw,match", [
    (np.array([1, -1, 0, 1]), dict(allowed=(-1, 1)), r"values \[0\] outside the allowed set \[-1, 1\]"),
    (np.array([0, 3, 1, 4], np.int64), dict(num_classes=3), r"values \[3, 4\] outside .*\[0, 1, 2\]"),
    (np.array([0, 1, 2, 1], np.int8), dict(num_classes=2), r"values \[2\] outside"),
    (np.array([0.0, 1.0, np.nan, 1.0]), dict(allowed=(0, 1)), "must be integers"),
    (np.array([True, False, True, True]), dict(num_classes=1), r"values \[1\] outside the allowed set \[0\]"),
])
def test_label_value_errors_name_the_values(labels, kw, match):
  with pytest.raises(ValueError, match=match):
    lm.check_labels(labels, 4, **kw)


@pytest.mark.parametrize("labels,kw", [
    (np.array([1, -1, -1, 1]), dict(allowed=(-1, 1))),
    (np.array([0.0, 2.0, 1.0, 2.0]), dict(num_classes=3)),
    (np.array([True, False, True, True]), dict(allowed=(0, 1))),
    (jnp.array([4, 0, 2, 1]), dict(num_classes=5)),
])
def test_valid_labels_pass_and_keep_their_values(labels, kw):
  out = lm.check_labels(labels, 4, **kw)
  assert out.dtype == jnp.int32
  np.testing.assert_array_equal(out, np.asarray(labels).astype(np.int32))


_BAD = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf}


@pytest.mark.parametrize("method", lm.least_squares.METHODS)
@pytest.mark.parametrize("bad", list(_BAD))
@pytest.mark.parametrize("row", [0, 37])
@pytest.mark.parametrize("kw", [{}, {"fit_intercept": False},
                                {"sample_weight": "zero on the bad row"}, {"outputs": 2}])
@pytest.mark.parametrize("where", ["xs", "ys"])
def test_lstsq_names_non_finite_data_for_every_method(method, bad, row, kw, where):
  # The normal-equation methods read finiteness off their Gram matrix's diagonal instead of
  # separate passes; each placement of NaN/±inf, in X or in Y, a zero weight on the bad row
  # (0 · inf) and multi-output targets must still raise the check's error, as for "svd" and "qr".
  rng = np.random.default_rng(row)
  xs = rng.standard_normal((50, 3)).astype(np.float32)
  ys = rng.standard_normal((50, 2) if kw.get("outputs") else 50).astype(np.float32)
  if where == "xs":
    xs[row, 1] = _BAD[bad]
    match = (r"xs holds 1 non-finite value\(s\) \(NaN or inf\), "
             rf"first at index \({row}, 1\); xs.shape=\(50, 3\)")
  else:
    ys[row] = _BAD[bad]
    k = ys.shape[1:]
    match = (rf"ys holds {ys[row].size} non-finite value\(s\) \(NaN or inf\), first at index "
             rf"\({row}{', 0' if k else ''},?\); ys.shape=\(50,{' 2' if k else ''}\)")
  extra = {k: v for k, v in kw.items() if k == "fit_intercept"}
  if "sample_weight" in kw:
    sw = np.ones(50, np.float32)
    sw[row] = 0.0
    extra["sample_weight"] = sw
  with pytest.raises(ValueError, match=match):
    lm.lstsq(xs, ys, method=method, **extra)


def test_lstsq_gram_flag_agrees_with_an_elementwise_scan():
  # The flag the solve returns is False exactly when X holds a non-finite entry (the reference:
  # np.isfinite), and True for finite X, whatever the centring shift or a zero weight.
  rng = np.random.default_rng(1)
  for trial in range(40):
    xs = rng.standard_normal((2100, 4)).astype(np.float32)  # more rows than the shift reads
    ys = rng.standard_normal(2100).astype(np.float32)
    if trial % 2:
      data = xs if trial % 8 < 5 else ys[:, None]
      data[rng.integers(2100), rng.integers(data.shape[1])] = rng.choice([np.nan, np.inf, -np.inf])
    sw = None if trial % 4 < 2 else rng.uniform(0, 1, 2100).astype(np.float32) * (xs[:, 0] > 0)
    flag = lm.least_squares._lstsq(jnp.asarray(xs), jnp.asarray(ys), sw, 0.0, None,
                                   method="auto", fit_intercept=bool(trial % 3))[2]
    assert bool(flag) == bool(np.isfinite(xs).all() and np.isfinite(ys).all())


def test_lstsq_skips_the_separate_finiteness_pass_over_xs(monkeypatch):
  checked = []
  real = lm.checks.check_finite

  def spy(x, name):
    checked.append(name)
    return real(x, name)

  monkeypatch.setattr(lm.checks, "check_finite", spy)
  xs = np.random.default_rng(2).standard_normal((40, 3)).astype(np.float32)
  ys = xs.sum(1)
  lm.lstsq(xs, ys)
  assert checked == []                 # the data's finiteness came from the Gram matrix
  checked.clear()
  lm.lstsq(xs, ys, method="svd")       # no Gram matrix: X is checked before the solve
  assert checked == ["xs", "ys"]


def test_lstsq_finite_data_whose_squares_overflow_passes_and_traced_solves_still_check():
  # Finite X with squares beyond float32's range makes the Gram flag False; the scan that
  # follows finds nothing to report, so the call returns (what it returns is another matter).
  big = np.array([[3e19, 1.0], [-3e19, 2.0], [1e19, 0.5]], np.float32)
  with np.errstate(over="ignore"):
    assert np.isfinite(big).all() and not np.isfinite((big ** 2).sum())
  lm.lstsq(big, np.ones(3))
  # Under vmap over the ridge strength the solve is traced but X is concrete: still checked.
  xs = np.eye(3, dtype=np.float32)
  xs[2, 0] = np.nan
  with pytest.raises(ValueError, match=r"xs holds 1 non-finite value"):
    jax.vmap(lambda l2: lm.lstsq(xs, np.ones(3), l2)[0].w)(jnp.array([0.1, 1.0]))


def _inside_a_users_jit(fn):
  """``fn()`` traced inside a user's jit: its (concrete, closed-over) data are not arguments."""
  return jax.jit(lambda v: jax.tree_util.tree_map(lambda a: a + 0 * v, fn()))(0.0)


def _data():
  # Made outside any trace: inside one, even jnp.asarray of a constant is traced.
  x = np.random.default_rng(5).standard_normal((40, 3)).astype(np.float32)
  x_nan = x.copy()
  x_nan[7, 2] = np.nan
  y = (x @ np.array([1.0, -2.0, 0.5], np.float32) + 0.3).astype(np.float32)
  lab = (y > 0).astype(np.int32)
  return {"x": jnp.asarray(x), "x_nan": jnp.asarray(x_nan), "y": jnp.asarray(y),
          "lab": jnp.asarray(lab), "one_class": jnp.ones(40, jnp.int32),
          "lab_high": jnp.asarray(lab + 5), "lab_two": jnp.asarray(2 * lab),
          "col_nan": jnp.asarray(x_nan[:, 2]), "l2s": jnp.ones(2), "key": jax.random.key(0)}


@pytest.mark.parametrize("call,match", [
    (lambda d: lm.lstsq(d["x_nan"], d["y"])[0], "xs holds 1 non-finite"),
    (lambda d: lm.lstsq(d["x_nan"], d["y"], method="svd")[0], "xs holds 1 non-finite"),
    (lambda d: lm.ridge_path(d["x_nan"], d["y"], d["l2s"]), "xs holds 1 non-finite"),
    (lambda d: lm.fit_logistic(d["x_nan"], d["lab"]).params, "xs holds 1 non-finite"),
    (lambda d: lm.fit_logistic(d["x"], d["one_class"]).params,
     r"labels hold a single class \(1\) in all 40 examples"),
    (lambda d: lm.fit_softmax(d["x"], d["lab_high"], num_classes=3).params,
     "outside the allowed set"),
    (lambda d: lm.fit_perceptron(d["key"], d["x"], d["lab_two"]).params, "outside the allowed set"),
    (lambda d: lm.gaussian_mle(d["col_nan"]), "xs holds 1 non-finite"),
], ids=["lstsq", "lstsq-svd", "ridge_path", "fit_logistic-nan", "fit_logistic-one-class",
        "fit_softmax-labels", "fit_perceptron-labels", "gaussian_mle"])
def test_concrete_bad_data_inside_a_users_jit_raises_as_outside(call, match):
  # Data closed over by a user's jit are concrete while it traces: checked as in a direct call.
  d = _data()
  with pytest.raises(ValueError, match=match):
    call(d)
  with pytest.raises(ValueError, match=match):
    _inside_a_users_jit(lambda: call(d))


def test_fit_polynomial_takes_its_domain_from_concrete_x_inside_a_users_jit():
  x = jnp.linspace(-1.0, 2.0, 30)
  y = 1 - 2 * x + 3 * x ** 2
  eager, dom = lm.fit_polynomial(x, y, 2)
  assert dom == (-1.0, 2.0)
  inside = _inside_a_users_jit(lambda: lm.fit_polynomial(x, y, 2)[0])
  np.testing.assert_allclose(inside.w, eager.w, rtol=1e-5, atol=1e-6)
  # And against NumPy's float64 polynomial fit in the same (Legendre, domain-mapped) basis.
  ref = np.polynomial.legendre.Legendre.fit(np.asarray(x, np.float64), np.asarray(y, np.float64),
                                            2, domain=[-1.0, 2.0]).coef
  np.testing.assert_allclose(np.r_[inside.b, inside.w], ref, rtol=1e-4, atol=1e-5)


_P1 = lm.LinearParams(jnp.array([1.0, -1.0]), jnp.array(0.5))             # one output: [n]
_PC = lm.LinearParams(jnp.ones((2, 3)), jnp.zeros(3))                     # three classes
_X = np.array([[0.5, 1.0], [1.0, -2.0], [0.0, 0.3], [2.0, 1.0]], np.float32)
_Y, _B, _L = np.array([1.0, 2.0, 0.0, 1.0], np.float32), np.array([1.0, 0.0, 0.0, 1.0], np.float32), np.array([0, 2, 1, 0])


@pytest.mark.parametrize("loss,params,targets", [
    (lm.mse_loss, _P1, _Y), (lm.lecture_loss, _P1, _Y), (lm.fused_mse_loss, _P1, _Y),
    (lm.linear_gaussian_nll, _P1, _Y), (lm.logistic_loss, _P1, _B), (lm.lecture_bce, _P1, _B),
    (lm.fused_logistic_loss, _P1, _B), (lm.sigmoid_mse_loss, _P1, _B), (lm.bernoulli_nll, _P1, _B),
    (lm.softmax_loss, _PC, _L), (lm.lecture_cross_entropy, _PC, _L),
    (lm.fused_softmax_loss, _PC, _L), (lm.categorical_nll, _PC, _L),
])
def test_losses_refuse_a_column_of_targets_that_would_broadcast(loss, params, targets):
  # [n] predictions against [n, 1] targets broadcast to [n, n]: mse_loss returned 20.6 for a
  # perfect fit's 0.5 before. Each loss now names the two shapes, also under jit.
  value = float(loss(params, _X, targets))
  assert np.isfinite(value)
  for bad in (targets[:, None], targets[:-1]):
    with pytest.raises(ValueError, match=re.escape(str(bad.shape))):
      loss(params, _X, bad)
    with pytest.raises(ValueError, match=re.escape(str(bad.shape))):
      jax.jit(loss)(params, _X, bad)


def test_elementwise_losses_name_both_shapes():
  with pytest.raises(ValueError, match=r"squared_error: predictions have shape \(3,\) but targets \(3, 1\)"):
    lm.squared_error(jnp.ones(3), jnp.ones((3, 1)))
  with pytest.raises(ValueError, match=r"binary_cross_entropy: logits have shape \(3,\) but labels \(3, 1\)"):
    lm.binary_cross_entropy(jnp.ones(3), jnp.ones((3, 1)))
  with pytest.raises(ValueError, match=r"integer classes need \(3,\), one-hot \(or probability\) vectors \(3, 4\)"):
    lm.cross_entropy(jnp.ones((3, 4)), jnp.zeros((3, 1), jnp.int32))
  # Shapes that agree keep working: integer classes and one-hot vectors.
  np.testing.assert_allclose(lm.cross_entropy(jnp.zeros((3, 4)), jnp.array([0, 1, 3])), np.log(4.0) * np.ones(3), rtol=1e-6)
  np.testing.assert_allclose(lm.cross_entropy(jnp.zeros((3, 4)), jnp.eye(4)[:3]), np.log(4.0) * np.ones(3), rtol=1e-6)


def test_cross_entropy_classes_outside_the_logits_raise_or_give_nan():
  z = jnp.array([[2.0, 0.0, -1.0]] * 3)
  # -log softmax(z)_c, worked out by hand from z = (2, 0, -1).
  ce = np.log(np.exp(2.0) + 1.0 + np.exp(-1.0)) - np.array([2.0, 0.0, -1.0])
  for labels, bad in (([-1, 0, 2], -1), ([0, 3, 1], 3)):
    with pytest.raises(ValueError, match=rf"cross_entropy: labels holds values \[{bad}\] outside "
                                         r"the allowed set \[0, 1, 2\]"):
      lm.cross_entropy(z, jnp.array(labels))
  # Traced: NaN where the class is outside (optax alone reads -1 as class 2), the rest exact.
  out = np.asarray(jax.jit(lm.cross_entropy)(z, jnp.array([-1, 3, 2])))
  assert np.isnan(out[:2]).all()
  np.testing.assert_allclose(out[2], ce[2], rtol=1e-6)
  # softmax_loss averages them: a wrong class is a NaN loss, never a plausible number.
  params = lm.LinearParams(jnp.eye(3), jnp.zeros(3))
  assert np.isnan(jax.jit(lm.softmax_loss)(params, z, jnp.array([-1, 0, 2])))
  # Integral floats and booleans are classes, as check_labels takes them.
  np.testing.assert_allclose(lm.cross_entropy(z, jnp.array([0.0, 1.0, 2.0])), ce, rtol=1e-6)
  np.testing.assert_allclose(lm.cross_entropy(z[:2], jnp.array([True, False])), ce[[1, 0]],
                             rtol=1e-6)
  with pytest.raises(ValueError, match=r"labels must be integers, got values such as \[1.5\]"):
    lm.cross_entropy(z, jnp.array([0.0, 1.5, 2.0]))


_ONE = lm.LinearParams(jnp.ones(1), jnp.zeros(()))


@pytest.mark.parametrize("loss,reduce", [
    (lambda z, y: lm.binary_cross_entropy(z, y), lambda v: v),
    (lambda z, y: lm.logistic_loss(_ONE, z[:, None], y), np.mean),
    (lambda z, y: lm.lecture_bce(_ONE, z[:, None], y), np.sum),
    (lambda z, y: lm.bernoulli_nll(_ONE, z[:, None], y), np.sum)])
def test_binary_losses_refuse_labels_outside_the_unit_interval(loss, reduce):
  z = jnp.array([0.5, -1.0, 2.0])
  # -[y log σ(z) + (1 - y) log(1 - σ(z))] by hand, for y = (1, 0, 0.3).
  sig = 1 / (1 + np.exp(-np.array([0.5, -1.0, 2.0])))
  y = np.array([1.0, 0.0, 0.3])
  ref = -(y * np.log(sig) + (1 - y) * np.log(1 - sig))
  np.testing.assert_allclose(loss(z, jnp.asarray(y, jnp.float32)), reduce(ref), rtol=1e-5)
  # The perceptron's {-1, +1} labels (the loss would be silently wrong, here negative), and NaN.
  for bad, shown in (([1.0, -1.0, 1.0], r"\[-1.\]"), ([1.0, np.nan, 0.0], r"\[nan\]")):
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\] \(classes 0 and 1, or "
                                         rf"probabilities\), got 1 value\(s\) outside, such as "
                                         rf"{shown}; labels in {{-1, \+1}} map to {{0, 1}}"):
      loss(z, jnp.array(bad))
    assert np.isnan(np.asarray(jax.jit(loss)(z, jnp.array(bad)))).any()


def test_sigmoid_mse_and_the_bce_gradient_refuse_labels_outside_the_unit_interval():
  z = jnp.array([0.5, -1.0, 2.0])
  sig = 1 / (1 + np.exp(-np.array([0.5, -1.0, 2.0])))
  y = np.array([1.0, 0.0, 0.3])
  # ½ Σ (y - σ)² and Σ (σ - y) [x 1], by hand (x = z, w = 1, b = 0).
  np.testing.assert_allclose(lm.sigmoid_mse_loss(_ONE, z[:, None], jnp.asarray(y, jnp.float32)),
                             0.5 * np.sum((y - sig) ** 2), rtol=1e-5)
  g = lm.bce_gradient(_ONE, z[:, None], jnp.asarray(y, jnp.float32))
  np.testing.assert_allclose(g.w, [np.sum((sig - y) * np.array([0.5, -1.0, 2.0]))], rtol=1e-5)
  np.testing.assert_allclose(g.b, np.sum(sig - y), rtol=1e-5)
  bad = jnp.array([1.0, -1.0, 1.0])  # the perceptron's labels
  for name, call in (("sigmoid_squared_error", lambda y: lm.sigmoid_mse_loss(_ONE, z[:, None], y)),
                     ("bce_gradient", lambda y: lm.bce_gradient(_ONE, z[:, None], y))):
    with pytest.raises(ValueError, match=rf"{name}: labels must lie in \[0, 1\]"):
      call(bad)
    assert any(np.isnan(np.asarray(leaf)).any() for leaf in jax.tree.leaves(jax.jit(call)(bad)))
  # A column of labels against [n] probabilities broadcast to [n, n] in the gradient.
  with pytest.raises(ValueError, match=r"bce_gradient: probabilities .* have shape \(3,\) but "
                                       r"labels \(3, 1\)"):
    lm.bce_gradient(_ONE, z[:, None], jnp.asarray(y, jnp.float32)[:, None])
