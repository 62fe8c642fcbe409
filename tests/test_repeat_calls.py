"""A second call with the same settings and shapes compiles nothing.

The iterative fitters keep their compiled program: a call that finds it does not trace the loss
again. These tests count traces with a loss that records each one, and check that what is reused
gives the answer a fresh program does (and that a changed number in a closure or a global is
never served a stale program). The one-pass building blocks, called eagerly (``jax.grad`` of a
fused loss in a notebook), are checked through JAX's compile log.
"""

import logging
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import linmodels as lm
from linmodels import optimize


def _data(rng, n=128, d=3):
  xs = rng.normal(size=(n, d))
  ys = xs @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=n)
  return jnp.asarray(xs, jnp.float32), jnp.asarray(ys, jnp.float32)


class _Counting:
  """A loss that counts its traces (Python runs only while tracing); keyed by identity."""

  def __init__(self, loss_fn):
    self.loss_fn, self.traces = loss_fn, 0

  def __call__(self, params, *data):
    self.traces += 1
    return self.loss_fn(params, *data)


def test_fit_gd_traces_once_for_repeated_calls_and_new_learning_rates(rng):
  xs, ys = _data(rng)
  loss = _Counting(lm.mse_loss)
  first = lm.fit_gd(loss, lm.init_linear(3), (xs, ys), 0.1, num_steps=50)
  n_traces = loss.traces
  assert n_traces > 0
  again = lm.fit_gd(loss, lm.init_linear(3), (xs, ys), 0.1, num_steps=50)
  other_lr = lm.fit_gd(loss, lm.init_linear(3), (xs, ys), 0.3, num_steps=50)
  assert loss.traces == n_traces  # the learning rate is traced: same program
  np.testing.assert_array_equal(np.asarray(first.losses), np.asarray(again.losses))
  # The reused program with the other rate against a fresh, uncached one (same operations).
  fresh = optimize._compile_fit(lm.mse_loss, optimize._sgd, 50, None, False)(
      lm.init_linear(3), (xs, ys), 0.3, 0.0, 1e6, None)
  np.testing.assert_allclose(np.asarray(other_lr.params.w), np.asarray(fresh.params.w), rtol=1e-6)
  # A new shape is a new program.
  lm.fit_gd(loss, lm.init_linear(3), (xs[:64], ys[:64]), 0.1, num_steps=50)
  assert loss.traces > n_traces


def test_a_fresh_optax_optimizer_with_the_same_settings_reuses_the_program(rng):
  xs, ys = _data(rng)
  loss = _Counting(lm.mse_loss)
  a = lm.fit_optax(loss, lm.init_linear(3), (xs, ys), optax.adam(0.05), num_steps=40)
  n_traces = loss.traces
  b = lm.fit_optax(loss, lm.init_linear(3), (xs, ys), optax.adam(0.05), num_steps=40)
  assert loss.traces == n_traces
  np.testing.assert_array_equal(np.asarray(a.losses), np.asarray(b.losses))
  # A different learning rate baked into the optimizer is a different program, and its answer
  # is that optimizer's, not the cached one's.
  c = lm.fit_optax(loss, lm.init_linear(3), (xs, ys), optax.adam(0.01), num_steps=40)
  assert loss.traces > n_traces
  assert not np.allclose(np.asarray(c.losses), np.asarray(a.losses))
  want = optimize._compile_fit(lm.mse_loss, optimize.functools.partial(optimize._given,
                                                                       optax.adam(0.01)),
                               40, None, False)(lm.init_linear(3), (xs, ys), (), 0.0, 1e6, None)
  np.testing.assert_allclose(np.asarray(c.losses), np.asarray(want.losses), rtol=1e-6)


def test_a_number_in_the_loss_closure_is_part_of_the_key(rng):
  xs, ys = _data(rng)

  def scaled(scale):
    return lambda p, x, y: scale * lm.mse_loss(p, x, y)

  one = lm.fit_gd(scaled(1.0), lm.init_linear(3), (xs, ys), 0.1, num_steps=5)
  two = lm.fit_gd(scaled(2.0), lm.init_linear(3), (xs, ys), 0.1, num_steps=5)
  # Same code, another constant: the loss history is exactly doubled at the first step.
  np.testing.assert_allclose(np.asarray(two.losses[0]), 2 * np.asarray(one.losses[0]), rtol=1e-6)
  assert not np.allclose(np.asarray(two.params.w), np.asarray(one.params.w))


SCALE = 1.0


def _global_scaled_loss(p, x, y):
  return SCALE * lm.mse_loss(p, x, y)


def test_a_changed_global_number_in_the_loss_is_a_new_program(rng, monkeypatch):
  xs, ys = _data(rng)
  one = lm.fit_gd(_global_scaled_loss, lm.init_linear(3), (xs, ys), 0.1, num_steps=5)
  monkeypatch.setattr(sys.modules[__name__], "SCALE", 3.0)
  three = lm.fit_gd(_global_scaled_loss, lm.init_linear(3), (xs, ys), 0.1, num_steps=5)
  np.testing.assert_allclose(np.asarray(three.losses[0]), 3 * np.asarray(one.losses[0]),
                             rtol=1e-6)


def test_an_array_in_the_loss_closure_is_never_reused(rng):
  xs, ys = _data(rng)
  loss = _Counting(lm.mse_loss)
  weights = [jnp.ones(128), 3 * jnp.ones(128)]
  results, traces = [], [0]
  for w8 in weights:
    fn = lambda p, x, y: loss(p, x, y) * jnp.mean(w8)  # noqa: B023
    results.append(lm.fit_gd(fn, lm.init_linear(3), (xs, ys), 0.05, num_steps=3))
    traces.append(loss.traces)
  assert traces[0] < traces[1] < traces[2]  # traced for each call
  np.testing.assert_allclose(np.asarray(results[1].losses[0]), 3 * np.asarray(results[0].losses[0]),
                             rtol=1e-6)


@pytest.mark.parametrize("method", ["gd", "newton", "lbfgs", "adam"])
def test_minimize_reuses_its_program(rng, method):
  xs, ys = _data(rng)
  loss = _Counting(lm.mse_loss)
  a = lm.minimize(loss, lm.init_linear(3), (xs, ys), method=method, num_steps=20,
                  learning_rate=0.1)
  n_traces = loss.traces
  b = lm.minimize(loss, lm.init_linear(3), (xs, ys), method=method, num_steps=20,
                  learning_rate=0.1)
  assert loss.traces == n_traces
  np.testing.assert_array_equal(np.asarray(a.params.w), np.asarray(b.params.w))


def test_fit_mlp_reuses_its_program_across_fresh_optimizers(rng):
  xs, ys = _data(rng)
  params = lm.init_mlp(jax.random.key(0), (3, 8, 1))
  before = dict(optimize._fit_cache)
  a = lm.fit_mlp(params, xs, ys, optax.adam(1e-2), num_steps=20)
  added = [k for k in optimize._fit_cache if k not in before]
  b = lm.fit_mlp(params, xs, ys, optax.adam(1e-2), num_steps=20)
  assert len(added) == 1 and [k for k in optimize._fit_cache if k not in before] == added
  np.testing.assert_array_equal(np.asarray(a.losses), np.asarray(b.losses))


def test_a_loss_closure_holding_a_tracer_is_never_kept(rng):
  xs, ys = _data(rng)
  keys = set(optimize._fit_cache)

  @jax.jit
  def scaled_fit(scale):
    return lm.fit_gd(lambda p, x, y: scale * lm.mse_loss(p, x, y), lm.init_linear(3), (xs, ys),
                     0.05, num_steps=5).losses

  one, two = scaled_fit(1.0), scaled_fit(2.0)
  assert set(optimize._fit_cache) == keys
  np.testing.assert_allclose(np.asarray(two[0]), 2 * np.asarray(one[0]), rtol=1e-6)
  # Each traced scale got its own answer: the same fits with the scale as a constant.
  for scale, got in ((1.0, one), (2.0, two)):
    want = lm.fit_gd(lambda p, x, y: scale * lm.mse_loss(p, x, y), lm.init_linear(3), (xs, ys),
                     0.05, num_steps=5).losses  # noqa: B023
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5)


def test_the_cache_is_bounded(rng, monkeypatch):
  xs, ys = _data(rng, n=16)
  monkeypatch.setattr(optimize, "_FIT_CACHE_SIZE", 3)
  for k in range(6):
    lm.fit_gd(lambda p, x, y, k=k: (k + 1.0) * lm.mse_loss(p, x, y), lm.init_linear(3), (xs, ys),
              0.01, num_steps=1)
  assert len(optimize._fit_cache) <= 3


@pytest.mark.parametrize("obj,other", [
    (1, 1.0), (1.0, 2.0), (True, 1), (np.float32(1), np.int32(1)), ((1, 2), (1, 3)), ("a", "b"),
    ([1, 2], (1, 2)), ([1, 2], [1, 3]), ({"a": 1}, {"a": 2}), ({"a": 1}, {"b": 1}),
])
def test_program_keys_tell_apart_what_traces_differently(obj, other):
  assert optimize._program_key(obj) == optimize._program_key(obj)
  assert optimize._program_key(obj) != optimize._program_key(other)


def test_a_list_in_the_loss_closure_is_keyed_by_its_contents_at_each_call(rng):
  xs, ys = _data(rng)
  weights = [1.0]
  loss = lambda p, x, y: weights[0] * lm.mse_loss(p, x, y)
  one = lm.fit_gd(loss, lm.init_linear(3), (xs, ys), 0.1, num_steps=3).losses
  weights[0] = 4.0  # the same list, changed: never the program traced with 1.0
  four = lm.fit_gd(loss, lm.init_linear(3), (xs, ys), 0.1, num_steps=3).losses
  np.testing.assert_allclose(np.asarray(four[0]), 4 * np.asarray(one[0]), rtol=1e-6)
  weights[0] = 1.0  # back: the first program, which baked in 1.0
  again = lm.fit_gd(loss, lm.init_linear(3), (xs, ys), 0.1, num_steps=3).losses
  np.testing.assert_array_equal(np.asarray(again), np.asarray(one))


@pytest.mark.parametrize("obj", [jnp.ones(2), np.ones(2), [jnp.ones(2)], {"a": np.ones(1)},
                                 {1, 2}])
def test_program_keys_refuse_what_cannot_be_compared(obj):
  with pytest.raises(TypeError):
    optimize._program_key(lambda: obj)


class _CompileLog(logging.Handler):
  def __init__(self):
    super().__init__(logging.DEBUG)
    self.messages = []

  def emit(self, record):
    if "Compiling" in record.getMessage():
      self.messages.append(record.getMessage()[:120])


def _compiles(fn, *, warm: bool = True):
  """The XLA compilations that a call of ``fn`` starts (after one warm-up call if ``warm``)."""
  if warm:
    jax.block_until_ready(fn())
  log, logger = _CompileLog(), logging.getLogger("jax")
  logger.addHandler(log)
  try:
    with jax.log_compiles():
      jax.block_until_ready(fn())
  finally:
    logger.removeHandler(log)
  return log.messages


def test_the_compile_log_sees_a_compilation():
  # The probe works: a new program is reported.
  x = jnp.arange(7.0)
  assert _compiles(lambda: jax.jit(lambda v: v * 3.0 + 1.0)(x), warm=False)


def test_eager_calls_of_the_one_pass_building_blocks_reuse_their_programs(rng, monkeypatch):
  # Several blocks of rows (a lax.scan, whose body is a closure made in each call): at most
  # 256 rows a block here, and a row count no other test uses (nothing traced before).
  monkeypatch.setattr(lm.row_passes, "_CPU_BLOCK_BYTES", 1024)
  xs, ys = _data(rng, n=1013)
  labels = (ys > 0).astype(jnp.int32)
  p, p3 = lm.init_linear(3), lm.LinearParams(jnp.zeros((3, 3)), jnp.zeros(3))
  classes = jnp.asarray(rng.integers(0, 3, 1013))
  calls = {
      "grad fused_mse_loss": lambda: jax.grad(lm.fused_mse_loss)(p, xs, ys),
      "grad fused_logistic_loss": lambda: jax.grad(lm.fused_logistic_loss)(
          p, xs, labels.astype(jnp.float32)),
      "grad fused_softmax_loss": lambda: jax.grad(lm.fused_softmax_loss)(p3, xs, classes),
      "mse_stats": lambda: lm.mse_stats(xs, ys),
      "residual_sums": lambda: lm.row_passes.residual_sums(xs, ys[:, None], p.w[:, None],
                                                           p.b[None]),
      "logistic_value_grad_hessian": lambda: lm.logistic_value_grad_hessian(
          p, xs, labels.astype(jnp.float32)),
      "softmax_value_grad_hessian": lambda: lm.softmax_value_grad_hessian(p3, xs, classes),
  }
  for name, fn in calls.items():
    assert _compiles(fn) == [], name


def test_direct_fits_compile_nothing_on_the_second_call(rng):
  xs, ys = _data(rng)
  params = lm.init_mlp(jax.random.key(1), (3, 4, 1))
  calls = {
      "fit_gd": lambda: lm.fit_gd(lm.mse_loss, lm.init_linear(3), (xs, ys), 0.1, num_steps=10),
      "fit_mlp": lambda: lm.fit_mlp(params, xs, ys, optax.adam(1e-2), num_steps=10),
      "minimize": lambda: lm.minimize(lm.fused_mse_loss, lm.init_linear(3), (xs, ys),
                                      method="lbfgs", num_steps=10),
      "fit_gaussian_mle": lambda: lm.fit_gaussian_mle(ys, num_steps=10),
      "eager vmap of fit_gd over learning rates": lambda: jax.vmap(
          lambda lr: lm.fit_gd(lm.mse_loss, lm.init_linear(3), (xs, ys), lr, num_steps=10).losses
      )(jnp.array([0.01, 0.1, 0.3])),
  }
  for name, fn in calls.items():
    assert _compiles(fn) == [], name
