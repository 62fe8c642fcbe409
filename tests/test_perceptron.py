"""The lecture's perceptron: convergence on separable data within Novikoff's bound, XOR, vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from sklearn.svm import LinearSVC

import linmodels as lm
from linmodels import perceptron


def _max_margin_separator(xs, labels):
  """Near hard-margin linear SVM through the origin of the augmented space (scikit-learn)."""
  xa = np.c_[np.asarray(xs, np.float64), np.ones(len(xs))]
  svm = LinearSVC(fit_intercept=False, loss="hinge", C=1e5, tol=1e-10, max_iter=1_000_000)
  u = svm.fit(xa, np.asarray(labels)).coef_[0]
  return lm.LinearParams(jnp.asarray(u[:-1]), jnp.asarray(u[-1]))


@pytest.fixture(scope="module")
def separable():
  xs, labels, normal = lm.make_separable(jax.random.key(3), 200, 3, margin=0.3)
  return xs, labels, lm.LinearParams(normal[:-1], normal[-1])


def test_converges_from_32_keys_within_novikoff_bound(separable):
  xs, labels, truth = separable
  keys = jax.random.split(jax.random.key(0), 32)
  res = jax.jit(jax.vmap(lambda k: lm.fit_perceptron(k, xs, labels, max_updates=5000)))(keys)
  assert bool(res.converged.all()) and int(res.num_mistakes.max()) == 0
  # After convergence every training example is classified correctly, per the lecture's rule.
  preds = jax.vmap(lambda p: lm.perceptron_predict(p, xs))(res.params)
  np.testing.assert_array_equal(preds, np.broadcast_to(labels, preds.shape))
  bound_svm = float(lm.novikoff_bound(xs, labels, _max_margin_separator(xs, labels)))
  bound_truth = float(lm.novikoff_bound(xs, labels, truth))
  assert np.isfinite(bound_svm) and bound_svm <= bound_truth * 1.0001  # SVM margin ≥ the planted one
  assert int(res.num_updates.max()) <= bound_svm
  # Different keys find different separating hyperplanes ("which one is better?").
  assert len({tuple(np.round(np.asarray(w), 4)) for w in res.params.w}) > 1


def test_reports_non_convergence_on_xor():
  xs, labels = lm.xor()
  res = lm.fit_perceptron(jax.random.key(0), xs, labels, max_updates=200)
  assert not bool(res.converged)
  assert int(res.num_updates) == 200 and int(res.num_mistakes) >= 1


def test_trajectory_and_plus_minus_one_labels(separable):
  xs, labels, _ = separable
  res = lm.fit_perceptron(jax.random.key(1), xs, labels, max_updates=2000, return_trajectory=True)
  signs = 2 * np.asarray(labels) - 1
  res_pm = lm.fit_perceptron(jax.random.key(1), xs, signs, max_updates=2000)
  np.testing.assert_array_equal(res.params.w, res_pm.params.w)  # same algorithm, same picks
  k = int(res.num_updates)
  traj = np.asarray(res.trajectory)
  assert traj.shape == (2001, 4)
  np.testing.assert_array_equal(traj[0], np.zeros(4))
  np.testing.assert_allclose(traj[k], np.r_[res.params.w, res.params.b], rtol=1e-6)
  np.testing.assert_array_equal(traj[k + 1:], np.broadcast_to(traj[k], traj[k + 1:].shape))
  # Every step is ± one augmented example, added to a misclassified one.
  xa = np.c_[np.asarray(xs), np.ones(len(xs))]
  for t in range(min(k, 20)):
    delta = traj[t + 1] - traj[t]
    i = np.argmin(np.abs(np.abs(xa) - np.abs(delta)).sum(1))
    np.testing.assert_allclose(delta, signs[i] * xa[i], rtol=1e-5, atol=1e-5)
    z = xa[i] @ traj[t]
    assert (z < 0) if signs[i] > 0 else (z >= 0)


def test_random_initialisation_is_reproducible(separable):
  xs, labels, _ = separable
  a = lm.fit_perceptron(jax.random.key(5), xs, labels, init_scale=1.0)
  b = lm.fit_perceptron(jax.random.key(5), xs, labels, init_scale=1.0)
  np.testing.assert_array_equal(a.params.w, b.params.w)
  assert bool(a.converged)


def test_bad_labels_rejected():
  with pytest.raises(ValueError, match=r"outside the allowed set \[0, 1\]"):
    lm.fit_perceptron(jax.random.key(0), np.ones((3, 2)), [0, 1, 2])


@pytest.mark.parametrize("bad", [-1, 2.5, "10"])
def test_bad_max_updates_rejected(bad):
  # -1 ran no update and reported converged=False as if the data had not separated.
  xs, labels = np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([1, 0])
  with pytest.raises(ValueError, match=rf"max_updates must be a non-negative integer .* got {bad!r}"):
    lm.fit_perceptron(jax.random.key(0), xs, labels, max_updates=bad)
  assert bool(lm.fit_perceptron(jax.random.key(0), xs, labels, max_updates=np.int64(5)).converged)


def test_pick_is_uniform_over_the_mistakes():
  """The update's example: only misclassified ones, each as often as the others (a chi-square
  test on 14,800 draws), including the first and last of a block and of the array."""
  n = 4 * perceptron._PICK_BLOCK
  where = np.r_[0, 1, 7, 255, 256, 300, 511, 700, 1022, 1023, np.arange(400, 427)]
  mask = np.zeros(n, bool)
  mask[where] = True
  m = int(mask.sum())
  keys = jax.random.split(jax.random.key(0), 400 * m)
  bits = jax.vmap(lambda k: jax.random.bits(k, (2,), jnp.uint32))(keys)
  picks, number = jax.jit(jax.vmap(lambda b: perceptron._pick_mistake(b, jnp.asarray(mask))))(bits)
  picks = np.asarray(picks)
  assert (np.asarray(number) == m).all()
  assert mask[picks].all()
  counts = np.bincount(picks, minlength=n)[mask]
  assert counts.min() > 0
  assert stats.chisquare(counts).pvalue > 1e-4, counts


@pytest.mark.parametrize("num_negatives", [2, 48])
def test_first_update_is_uniform_over_the_misclassified(num_negatives):
  """From w = 0 every negative (w·x = 0 ≥ 0) and no positive is misclassified, so the lecture's
  first update is -x for a negative x drawn uniformly. With 48 of 96 negative, the random picks
  checked first find one at once; with 2 of 4096, mostly the pass over all examples does."""
  n = 96 if num_negatives == 48 else 4096
  xs = jax.random.normal(jax.random.key(0), (n, 3))
  labels = jnp.arange(n) >= num_negatives  # the first num_negatives are negatives
  keys = jax.random.split(jax.random.key(1), 150 * num_negatives)
  first = jax.jit(jax.vmap(lambda k: lm.fit_perceptron(
      k, xs, labels, max_updates=1, return_trajectory=True).trajectory[1]))(keys)
  xa = np.c_[np.asarray(xs), np.ones(n)]
  picked = np.argmin(np.abs(np.asarray(first)[:, None, :] + xa[None]).sum(-1), axis=1)
  np.testing.assert_allclose(np.asarray(first), -xa[picked], rtol=1e-6)
  assert (picked < num_negatives).all()
  counts = np.bincount(picked, minlength=num_negatives)
  assert stats.chisquare(counts).pvalue > 1e-4, counts


@pytest.mark.parametrize("span", [1, 7, 100_003])
def test_random_integers_are_uniform_below_the_span(span):
  """``_below``: jax.random.randint's reduction of two 32-bit words, from one draw of bits."""
  bits = jax.random.bits(jax.random.key(2), (2, 70_000), jnp.uint32)
  ints = np.asarray(perceptron._below(bits, jnp.int32(span)))
  assert ints.min() >= 0 and ints.max() < span
  if span == 1:
    assert (ints == 0).all()
  else:  # 10 equal-width bins of [0, span) (each holds the same number of integers for span 7: 1)
    bins = np.minimum(ints * min(span, 10) // span, 9)
    assert stats.chisquare(np.bincount(bins, minlength=min(span, 10))).pvalue > 1e-4
