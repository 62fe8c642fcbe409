"""linmodels: linear models and multi-layer perceptrons in JAX, as the lecture builds them."""

from linmodels.checks import check_labels, check_xs, check_xy
from linmodels.least_squares import LstsqInfo, conditioning, lstsq
from linmodels.linear import LinearParams, init_linear, predict
from linmodels.linear_regression import (fit_line, fit_line_through_origin,
                                         fit_plane_through_origin, lecture_gradient, lecture_loss,
                                         mse_loss)
from linmodels.optimize import FitResult, fit_gd, fit_optax

__version__ = "0.1.0"

__all__ = [
    "FitResult",
    "LinearParams",
    "LstsqInfo",
    "check_labels",
    "check_xs",
    "check_xy",
    "conditioning",
    "fit_gd",
    "fit_line",
    "fit_line_through_origin",
    "fit_optax",
    "fit_plane_through_origin",
    "init_linear",
    "lecture_gradient",
    "lecture_loss",
    "lstsq",
    "mse_loss",
    "predict",
]
