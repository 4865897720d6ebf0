"""Bad inputs of every class, with the exception each must raise and what its message says.

Each entry: (id, function name, args, kwargs, exception type, regex the message must match).
test_errors.py runs them on the live backend; test_backends.py checks that both backends raise
the same exception with the same message.
"""

import numpy as np

x32 = np.array([[0.5, -1.0], [2.0, 0.0]], dtype=np.float32)
t32 = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
x64 = x32.astype(np.float64)
t64 = t32.astype(np.float64)
y = np.array([0, 1])

CASES = [
    # Types and dtypes: TypeError, nothing converted.
    ("logits list", "sigmoid_focal_loss", ([[0.5]], [[1.0]]), {}, TypeError, "logits must be a numpy.ndarray"),
    ("logits int", "sigmoid_focal_loss", (np.array([1, 2]), np.array([1, 0])), {}, TypeError, "float32 or float64"),
    ("logits float16", "sigmoid_focal_loss", (x32.astype(np.float16), t32.astype(np.float16)), {}, TypeError,
     "float32 or float64"),
    ("mixed dtypes", "sigmoid_focal_loss", (x32, t64), {}, TypeError, "targets must have the logits' dtype"),
    ("targets list", "sigmoid_focal_loss", (x32, [[1.0, 0.0], [0.0, 1.0]]), {}, TypeError, "targets must be"),
    ("gamma str", "sigmoid_focal_loss", (x32, t32), {"gamma": "2"}, TypeError, "gamma must be a real number"),
    ("alpha str", "sigmoid_focal_loss", (x32, t32), {"alpha": "0.25"}, TypeError, "alpha must be a real number"),
    ("gamma bool", "sigmoid_focal_loss", (x32, t32), {"gamma": True}, TypeError, "gamma must be a real number"),
    ("reduction None", "sigmoid_focal_loss", (x32, t32), {"reduction": None}, TypeError, "reduction must be a str"),
    ("normalizer str", "sigmoid_focal_loss", (x32, t32), {"reduction": "mean", "normalizer": "4"}, TypeError,
     "normalizer must be a real number"),
    ("threads float", "sigmoid_focal_loss", (x32, t32), {"num_threads": 2.0}, TypeError,
     "num_threads must be an integer"),
    ("return_grad int", "sigmoid_focal_loss", (x32, t32), {"return_grad": 1}, TypeError, "return_grad must be a bool"),
    ("softmax targets float", "softmax_focal_loss", (x64, np.array([0.0, 1.0])), {}, TypeError, "int64 or int32"),
    ("softmax targets uint8", "softmax_focal_loss", (x64, np.array([0, 1], dtype=np.uint8)), {}, TypeError,
     "int64 or int32"),
    ("softmax scalar alpha", "softmax_focal_loss", (x64, y), {"alpha": 0.25}, TypeError, "sequence of C = 2"),
    ("softmax alpha strings", "softmax_focal_loss", (x64, y), {"alpha": ["a", "b"]}, TypeError, "class weights"),
    ("ignore_index float", "softmax_focal_loss", (x64, y), {"ignore_index": -100.0}, TypeError,
     "ignore_index must be an integer"),
    ("smoothing None", "softmax_focal_loss", (x64, y), {"label_smoothing": None}, TypeError,
     "label_smoothing must be a real number"),
    # Shapes: ValueError.
    ("shape mismatch", "sigmoid_focal_loss", (x32, t32[:1]), {}, ValueError, "targets must have the logits' shape"),
    ("softmax 1-d logits", "softmax_focal_loss", (x64[0], y[:1]), {}, ValueError, r"shape \(N, C, ...\)"),
    ("softmax target shape", "softmax_focal_loss", (x64, np.array([0, 1, 1])), {}, ValueError,
     "targets must have shape"),
    ("softmax zero classes", "softmax_focal_loss", (np.zeros((2, 0)), y), {}, ValueError, "classes = 0"),
    ("softmax alpha length", "softmax_focal_loss", (x64, y), {"alpha": [1.0, 1.0, 1.0]}, ValueError,
     "one weight per class"),
    # Values and ranges: ValueError with the library's message.
    ("reduction unknown", "sigmoid_focal_loss", (x32, t32), {"reduction": "avg"}, ValueError, "'none', 'sum', 'mean'"),
    ("alpha > 1", "sigmoid_focal_loss", (x32, t32), {"alpha": 1.5}, ValueError, r"alpha = 1\.5 must be in \[0, 1\]"),
    ("alpha -0.5", "sigmoid_focal_loss", (x32, t32), {"alpha": -0.5}, ValueError, r"alpha = -0\.5"),
    ("alpha nan", "sigmoid_focal_loss", (x32, t32), {"alpha": float("nan")}, ValueError, "alpha = nan"),
    ("gamma negative", "sigmoid_focal_loss", (x32, t32), {"gamma": -1}, ValueError, r"gamma = -1\.0 must be finite"),
    ("gamma nan", "softmax_focal_loss", (x64, y), {"gamma": float("nan")}, ValueError, "gamma = nan"),
    ("gamma inf", "softmax_focal_loss", (x64, y), {"gamma": float("inf")}, ValueError, "gamma = inf"),
    ("target 1.5", "sigmoid_focal_loss", (x32, np.array([[1.0, 0.0], [1.5, 1.0]], dtype=np.float32)), {},
     ValueError, r"targets\[2\] = 1\.5 is outside \[0, 1\]"),
    ("target nan", "sigmoid_focal_loss", (x64, np.array([[1.0, np.nan], [0.0, 1.0]])), {}, ValueError,
     r"targets\[1\] = nan"),
    ("target out of range", "softmax_focal_loss", (x64, np.array([0, 2])), {}, ValueError,
     r"targets\[1\] = 2 is out of range: expected 0 <= target < 2 or ignore_index \(-100\)"),
    ("target negative", "softmax_focal_loss", (x64, np.array([-1, 0], dtype=np.int32)), {}, ValueError,
     r"targets\[0\] = -1"),
    ("alpha negative weight", "softmax_focal_loss", (x64, y), {"alpha": [1.0, -0.5]}, ValueError,
     r"alpha\[1\] = -0\.5"),
    ("alpha nan weight", "softmax_focal_loss", (x64, y), {"alpha": [np.nan, 1.0]}, ValueError, r"alpha\[0\] = nan"),
    ("smoothing 1.5", "softmax_focal_loss", (x64, y), {"label_smoothing": 1.5}, ValueError,
     r"label_smoothing = 1\.5 must be in \[0, 1\]"),
    ("smoothing negative", "softmax_focal_loss", (x64, y), {"label_smoothing": -0.1}, ValueError, "label_smoothing"),
    ("normalizer zero", "softmax_focal_loss", (x64, y), {"normalizer": 0}, ValueError, r"normalizer = 0\.0 must be"),
    ("normalizer nan", "sigmoid_focal_loss", (x32, t32), {"reduction": "mean", "normalizer": float("nan")},
     ValueError, "normalizer = nan"),
    ("normalizer with sum", "sigmoid_focal_loss", (x32, t32), {"reduction": "sum", "normalizer": 2}, ValueError,
     "reduction mean"),
    ("normalizer with none", "sigmoid_focal_loss", (x32, t32), {"normalizer": 2}, ValueError, "reduction mean"),
    ("threads negative", "sigmoid_focal_loss", (x32, t32), {"num_threads": -1}, ValueError, "num_threads = -1"),
    ("threads huge", "softmax_focal_loss", (x64, y), {"num_threads": 2**40}, ValueError, "num_threads"),
    ("ignore_index huge", "softmax_focal_loss", (x64, y), {"ignore_index": 2**70}, ValueError, "ignore_index"),
    # Sigmoid from integer labels: the labels' dtype, shape and range (C = 2 classes; 2 is background).
    ("labels float", "sigmoid_focal_loss_from_labels", (x32, np.array([0.0, 1.0])), {}, TypeError, "int64 or int32"),
    ("labels list", "sigmoid_focal_loss_from_labels", (x32, [0, 1]), {}, TypeError, "labels must be a numpy.ndarray"),
    ("labels logits 1-d", "sigmoid_focal_loss_from_labels", (x32[0], y[:1]), {}, ValueError, r"shape \(N, C, ...\)"),
    ("labels shape", "sigmoid_focal_loss_from_labels", (x32, np.array([0, 1, 1])), {}, ValueError,
     "labels must have shape"),
    ("label above background", "sigmoid_focal_loss_from_labels", (x32, np.array([0, 3])), {}, ValueError,
     r"labels\[1\] = 3 is out of range"),
    ("label negative", "sigmoid_focal_loss_from_labels", (x64, np.array([-1, 0], dtype=np.int32)), {}, ValueError,
     r"labels\[0\] = -1"),
    ("labels ignore_index float", "sigmoid_focal_loss_from_labels", (x32, y), {"ignore_index": -1.0}, TypeError,
     "ignore_index must be an integer"),
    ("labels alpha > 1", "sigmoid_focal_loss_from_labels", (x32, y), {"alpha": 2.0}, ValueError, "alpha = 2"),
    ("labels zero classes", "sigmoid_focal_loss_from_labels", (np.zeros((2, 0), np.float32), y), {}, ValueError,
     "classes = 0"),
]
