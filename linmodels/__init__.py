"""linmodels: linear models and multi-layer perceptrons in JAX, as the lecture builds them.

The public API, by the lecture's sections (each name lives in the module shown):

* ground: ``checks``, ``linear`` (``LinearParams``, ``predict``), ``losses``
* linear regression: ``least_squares`` (``lstsq``), ``linear_regression`` (the 1D/2D formulas)
* iterative fitting: ``optimize`` (``fit_gd``, ``fit_optax``, ``newton``, ``newton_linesearch``,
  ``implicit_minimum``); fast least-squares losses ``lstsq_losses`` (one pass over X a gradient,
  or the Gram trick), built on ``row_passes`` and the Pallas kernel ``pallas_gradient``
* classification: ``perceptron``, ``logistic_regression``, ``softmax_regression``,
  ``likelihood``, ``convexity``
* beyond linear: ``polynomial``, ``mlp``, ``universal`` (the constructive universal approximation
  theorem), ``flax_interop``
* data: ``data``
"""

from linmodels import (distributed, logistic_regression, pallas_gradient, row_passes,
                       softmax_regression, universal)
from linmodels.checks import check_labels, check_xs, check_xy
from linmodels.convexity import grid, hessian_eigenvalues, min_hessian_eigenvalue
from linmodels.data import (load_breast_cancer, load_digits, load_iris, load_wine, make_blobs,
                            make_separable, standardize, xor)
from linmodels.least_squares import LstsqInfo, conditioning, lstsq, ridge_path
from linmodels.likelihood import (GaussianParams, bernoulli_nll, categorical_nll,
                                  fit_gaussian_mle, gaussian_log_likelihood, gaussian_mle,
                                  gaussian_nll, gaussian_pdf, linear_gaussian_nll)
from linmodels.linear import LinearParams, init_linear, predict
from linmodels.linear_regression import (fit_line, fit_line_through_origin,
                                         fit_plane_through_origin, lecture_gradient, lecture_loss,
                                         mse_loss)
from linmodels.lstsq_losses import fused_mse_loss, gram_mse_loss, mse_stats
from linmodels.logistic_regression import (ClassifierResult, bce_gradient, fit_logistic,
                                fused_logistic_loss, irls_hessian, lecture_bce, logistic_loss,
                                logistic_value_grad_hessian, sigmoid, sigmoid_derivative,
                                sigmoid_mse_loss, step)
from linmodels.losses import (binary_cross_entropy, cross_entropy, sigmoid_squared_error,
                              squared_error)
from linmodels.mlp import (Dense, fit_mlp, init_mlp, mlp_apply, mlp_cross_entropy_loss,
                           mlp_mse_loss, num_hidden_units)
from linmodels.optimize import (FitResult, NewtonState, fit_gd, fit_optax, implicit_minimum,
                                minimize, newton, newton_linesearch)
from linmodels.polynomial import (degree_sweep, fit_polynomial, monomial_features,
                                  polynomial_features, predict_polynomial)
from linmodels.perceptron import (PerceptronResult, fit_perceptron, novikoff_bound,
                                  perceptron_predict)
from linmodels.softmax_regression import (accuracy, cross_entropy_logit_gradient, fit_softmax,
                                          fused_softmax_loss, lecture_cross_entropy, one_hot,
                                          softmax, softmax_jacobian, softmax_loss,
                                          softmax_value_grad_hessian)

__version__ = "0.1.0"


def __getattr__(name: str):
  # flax takes about 0.4 s of the 1.7 s that `import linmodels` takes on a 2-core CPU; only the
  # interop module needs it, so it is imported on first use.
  if name == "flax_interop":
    import importlib
    module = importlib.import_module("linmodels.flax_interop")
    globals()[name] = module
    return module
  raise AttributeError(f"module 'linmodels' has no attribute {name!r}")


__all__ = [
    "accuracy", "bce_gradient", "bernoulli_nll", "binary_cross_entropy", "categorical_nll",
    "check_labels", "check_xs", "check_xy", "ClassifierResult", "conditioning", "cross_entropy",
    "cross_entropy_logit_gradient", "degree_sweep", "Dense", "distributed", "fit_gaussian_mle",
    "fit_gd", "fit_line", "fit_line_through_origin", "fit_logistic", "fit_mlp", "fit_optax",
    "fit_perceptron", "fit_plane_through_origin", "fit_polynomial", "fit_softmax", "FitResult",
    "flax_interop", "fused_logistic_loss", "fused_mse_loss", "fused_softmax_loss",
    "gaussian_log_likelihood", "gaussian_mle", "gaussian_nll", "gaussian_pdf", "GaussianParams",
    "gram_mse_loss", "grid", "hessian_eigenvalues", "implicit_minimum", "init_linear", "init_mlp",
    "irls_hessian", "lecture_bce", "lecture_cross_entropy", "lecture_gradient", "lecture_loss",
    "linear_gaussian_nll", "LinearParams", "load_breast_cancer", "load_digits", "load_iris",
    "load_wine", "logistic_loss", "logistic_regression", "logistic_value_grad_hessian", "lstsq",
    "LstsqInfo", "make_blobs", "make_separable", "min_hessian_eigenvalue", "minimize", "mlp_apply",
    "mlp_cross_entropy_loss", "mlp_mse_loss", "monomial_features", "mse_loss", "mse_stats",
    "newton", "newton_linesearch", "NewtonState", "novikoff_bound", "num_hidden_units", "one_hot",
    "pallas_gradient", "perceptron_predict", "PerceptronResult", "polynomial_features", "predict",
    "predict_polynomial", "ridge_path", "row_passes", "sigmoid", "sigmoid_derivative",
    "sigmoid_mse_loss", "sigmoid_squared_error", "softmax", "softmax_jacobian", "softmax_loss",
    "softmax_regression", "softmax_value_grad_hessian", "squared_error", "standardize", "step",
    "universal", "xor",
]
