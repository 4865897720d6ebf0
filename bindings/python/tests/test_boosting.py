"""focalloss.xgboost and focalloss.lightgbm with the real XGBoost and LightGBM, on this backend.

- The objectives are thin: what they return is the library's sigmoid_focal_grad_hess or
  softmax_focal_grad_hess of the same margins, labels and weights, bit for bit, through both of
  each framework's calls (its train function's and its scikit-learn estimators').
- The layout reaches the booster as it expects it: XGBoost's (N, C) rows and LightGBM's
  class-major (C, N) buffer. Checked on classes that differ (their gradient's sign and the sum over
  a row, independent of the library), and through XGBoost's trees: one round without a split
  gives each class's tree the Newton step of that class's gradient column.
- The focal loss at gamma = 0 with alpha disabled is the cross-entropy, so the objective trains the
  trees of the built-in binary:logistic / multi:softprob (XGBoost) and binary / multiclass
  (LightGBM): the same splits, and margins within rounding. Both start from the same margin,
  set explicitly (XGBoost reads base_score as a probability for binary:logistic and as a raw
  margin with a custom objective; LightGBM's init_score is a raw margin for both, and its
  boost_from_average is off). The built-in multiclass Hessians are scaled: XGBoost's is
  2 p (1 - p), LightGBM's C / (C - 1) p (1 - p), where the focal loss's exact diagonal at gamma = 0
  is p (1 - p). A Hessian scaled by r gives the trees of the step size, L2 penalty and minimum
  child Hessian divided by r (each leaf's -G / (r H + lambda) is (1/r) -G / (H + lambda / r), and
  every split's gain scales by r), so the focal runs use those.
- The metrics read raw margins, which both frameworks pass when the objective is a custom one, and
  give the weighted mean loss: checked against the float64 reference from the trained model's
  own margins, and at gamma = 0 against the cross-entropy.

Tolerances. The margins compared are sums of a few rounds of leaf values. XGBoost computes its
built-in gradients in float32 arithmetic (and the focal objective's are float32 results within a
few ulps), leaf sums in double: each leaf differs by a few float32 ulps relative, so after R rounds
a margin is within R * 1e-6 * (1 + |margin|) (seen: 2.4e-7 after 8 rounds). LightGBM computes both
in double and rounds the gradients to float32 (seen: 0 for binary, 7e-9 for multiclass): 1e-6.

xgboost, lightgbm and scikit-learn (for the estimators) come from PyPI in build/test-venv. Without
them these tests skip, except under CI (CI set in the environment), where they fail: `make test`
installs them.
"""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import focalloss
import focalloss.lightgbm
import focalloss.xgboost
import checks
import reference


def _framework(module):
    return checks.framework(module, "the boosting adapters")


@pytest.fixture(scope="module")
def xgb():
    return _framework("xgboost")


@pytest.fixture(scope="module")
def lgb():
    return _framework("lightgbm")


@pytest.fixture(scope="module")
def sklearn():
    return _framework("sklearn")


# ---- Data --------------------------------------------------------------------------------------

N, C, ROUNDS = 600, 3, 8
_rng = np.random.default_rng(12)
X = _rng.normal(size=(N, 5))
#: Binary: about 30 % positives.
Y = (X[:, 0] + 0.5 * X[:, 1] + _rng.normal(size=N) > 0.8).astype(np.float64)
#: Multiclass: classes of 60 %, 30 % and 10 %, each from its own features.
_score = X[:, 0] - X[:, 2] + 0.7 * _rng.normal(size=N)
YM = np.digitize(_score, np.quantile(_score, [0.6, 0.9])).astype(np.int64)
W = _rng.uniform(0.5, 2.0, size=N).astype(np.float32).astype(np.float64)  # as the frameworks store them
#: Starting margins, not 0, so that a start the frameworks ignored would show.
BASE = -0.8
BASE_M = np.array([0.3, -0.2, -1.0])
HESSIANS = [None, "exact", "clipped", "approximate"]


def _margins(dtype, shape, order="C"):
    return np.asarray(np.random.default_rng(5).normal(scale=2.0, size=shape), dtype=dtype, order=order)


def _hessian(hessian):
    return {} if hessian is None else {"hessian": hessian}


def _sigmoid_mean(margins, labels, alpha, gamma, weights):
    loss, _, _ = reference.sigmoid(margins, labels, alpha, gamma)
    return np.sum(weights * loss) / np.sum(weights)


def _softmax_mean(margins, labels, alpha, gamma, weights):
    loss, _, _ = reference.softmax(margins, labels, alpha, gamma, -100, 0.0)
    return np.sum(weights * loss) / np.sum(weights)


# ---- Without a framework -----------------------------------------------------------------------

def test_adapters_need_no_framework():
    """Importing focalloss imports neither adapter; the adapters import neither framework, and
    work on numpy arrays (the estimators' call) without them."""
    code = ("import sys\n"
            "sys.modules['xgboost'] = sys.modules['lightgbm'] = None  # importing them now fails\n"
            "import numpy as np, focalloss\n"
            "assert 'focalloss.xgboost' not in sys.modules and 'focalloss.lightgbm' not in sys.modules\n"
            "import focalloss.xgboost, focalloss.lightgbm\n"
            "y, x = np.array([1.0, 0.0], np.float32), np.array([0.5, -3.0], np.float32)\n"
            "grad, hess = focalloss.xgboost.sigmoid_objective()(y, x)\n"
            "assert grad.dtype == np.float32 and grad.shape == (2,)\n"
            "name, value, higher = focalloss.lightgbm.softmax_metric()(np.array([1]), np.zeros((1, 3)), None)\n"
            "assert (name, higher) == ('focal', False) and value > 0\n"
            "print(focalloss.backend)\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(focalloss.__file__))))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == focalloss.backend


@pytest.mark.parametrize("adapter", [focalloss.xgboost, focalloss.lightgbm], ids=["xgboost", "lightgbm"])
def test_bad_arguments_raise_when_made(adapter):
    """The library's checks and messages, when the objective or metric is made."""
    with pytest.raises(ValueError, match="gamma"):
        adapter.sigmoid_objective(gamma=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        adapter.sigmoid_metric(alpha=1.5)
    with pytest.raises(ValueError, match="hessian"):
        adapter.softmax_objective(hessian="newton")
    with pytest.raises(ValueError, match="precision"):
        adapter.sigmoid_objective(precision="sloppy")
    with pytest.raises(TypeError, match="alpha"):
        adapter.softmax_objective(alpha=0.25)
    with pytest.raises(ValueError, match="alpha"):
        adapter.softmax_metric(alpha=[1.0, -1.0, 1.0])


@pytest.mark.parametrize("adapter", [focalloss.xgboost, focalloss.lightgbm], ids=["xgboost", "lightgbm"])
def test_bad_data_raises(adapter):
    sigmoid, softmax = adapter.sigmoid_objective(), adapter.softmax_objective()
    x1, x3 = _margins(np.float64, (4,)), _margins(np.float64, (4, 3))
    y = np.array([0.0, 1.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="softmax_objective"):  # a multiclass model's predictions
        sigmoid(y, x3)
    with pytest.raises(ValueError, match="sigmoid_objective"):  # a binary model's predictions
        softmax(y, x1)
    for bad, shown in ((1.5, "1.5"), (3.0, "3.0"), (-100.0, "-100.0")):  # -100: not ignore_index here
        labels = y.copy()
        labels[2] = bad
        with pytest.raises(ValueError, match=r"\[0, 3\): label\[2\] = " + shown):
            softmax(labels, x3)
    with pytest.raises(ValueError, match="target"):
        sigmoid(np.array([0.0, 1.0, 2.0, 1.0]), x1)
    with pytest.raises(TypeError, match="float32 or float64"):
        sigmoid(y, x1.astype(np.float16))
    with pytest.raises(ValueError, match=r"one per row"):
        softmax(y, x3, np.ones(3))


# ---- The objectives are the library's functions ------------------------------------------------

@pytest.mark.parametrize("hessian", HESSIANS)
@pytest.mark.parametrize("framework", ["xgboost", "lightgbm"])
def test_sigmoid_objective_is_the_library_call(framework, hessian, request):
    """Through the train function's call (labels and weights from the data set) and the
    estimators' (labels, predictions, weights), weighted or not, in the framework's dtype."""
    dtype = np.float32 if framework == "xgboost" else np.float64
    adapter = getattr(focalloss, framework)
    objective = adapter.sigmoid_objective(alpha=0.3, gamma=1.5, **_hessian(hessian))
    margins = _margins(dtype, (N,))
    for weights in (None, W):
        w = None if weights is None else weights.astype(dtype)
        expected = focalloss.sigmoid_focal_grad_hess(margins, Y.astype(dtype), 0.3, 1.5, weights=w,
                                                     **_hessian(hessian))
        if framework == "xgboost":
            xgb = request.getfixturevalue("xgb")
            calls = [objective(margins, xgb.DMatrix(X, label=Y, weight=weights)),
                     objective(Y.astype(np.float32), margins, sample_weight=w)]
        else:
            lgb = request.getfixturevalue("lgb")
            calls = [objective(margins, lgb.Dataset(X, label=Y, weight=weights).construct()),
                     objective(Y.astype(np.float32), margins, w)]
        for grad, hess in calls:
            assert grad.dtype == hess.dtype == dtype and grad.shape == hess.shape == (N,)
            np.testing.assert_array_equal(grad, expected[0])
            np.testing.assert_array_equal(hess, expected[1])


def test_sigmoid_objective_multi_label(xgb):
    """XGBoost's multi-label models: (N, C) margins and labels (flattened in the DMatrix), a
    row's weight for each of its labels."""
    labels = (np.random.default_rng(1).random((N, C)) < 0.3).astype(np.float32)
    margins = _margins(np.float32, (N, C))
    grad, hess = focalloss.xgboost.sigmoid_objective()(margins, xgb.DMatrix(X, label=labels, weight=W))
    expected = focalloss.sigmoid_focal_grad_hess(margins, labels, weights=W.astype(np.float32))
    np.testing.assert_array_equal(grad, expected[0])
    np.testing.assert_array_equal(hess, expected[1])


def _assert_class_layout(grad, labels):
    """Independent of the library: a row's gradient is negative at its label and positive
    elsewhere (the focal loss falls as the label's logit rises and the others fall), and sums to
    0 over the row (the loss depends on the logits' differences only). A transposed layout fails
    both by far."""
    at_label = np.zeros(grad.shape, dtype=bool)
    at_label[np.arange(len(labels)), labels] = True
    assert np.all(grad[at_label] < 0) and np.all(grad[~at_label] > 0)
    grad64 = grad.astype(np.float64)
    assert np.all(np.abs(grad64.sum(axis=1)) <= 1e-5 * np.abs(grad64).sum(axis=1))


@pytest.mark.parametrize("hessian", HESSIANS)
def test_softmax_objective_xgboost_rows(xgb, hessian):
    """XGBoost hands (N, C) float32 rows and takes (N, C) back."""
    objective = focalloss.xgboost.softmax_objective(alpha=[0.5, 1.0, 2.0], gamma=2.0, **_hessian(hessian))
    margins = _margins(np.float32, (N, C))
    expected = focalloss.softmax_focal_grad_hess(margins, YM, [0.5, 1.0, 2.0], 2.0, weights=W.astype(np.float32),
                                                 **_hessian(hessian))
    for grad, hess in (objective(margins, xgb.DMatrix(X, label=YM, weight=W)),
                       objective(YM.astype(np.float32), margins, sample_weight=W.astype(np.float32))):
        assert grad.dtype == np.float32 and grad.shape == hess.shape == (N, C) and grad.flags.c_contiguous
        np.testing.assert_array_equal(grad, expected[0])
        np.testing.assert_array_equal(hess, expected[1])
        _assert_class_layout(grad, YM)


@pytest.mark.parametrize("hessian", HESSIANS)
def test_softmax_objective_lightgbm_class_major(lgb, hessian):
    """LightGBM hands (N, C) views of its class-major (C, N) float64 buffer: the objective gives
    the library that buffer as it is (layout="class") and returns the same kind of views, which
    LightGBM flattens class by class without a copy. The values are those of the row layout."""
    objective = focalloss.lightgbm.softmax_objective(alpha=[0.5, 1.0, 2.0], gamma=2.0, **_hessian(hessian))
    margins = _margins(np.float64, (C, N)).T
    assert margins.flags.f_contiguous and not margins.flags.c_contiguous
    expected = focalloss.softmax_focal_grad_hess(np.ascontiguousarray(margins), YM, [0.5, 1.0, 2.0], 2.0, weights=W,
                                                 **_hessian(hessian))
    train_data = lgb.Dataset(X, label=YM, weight=W).construct()
    for grad, hess in (objective(margins, train_data), objective(YM.astype(np.float32), margins, W)):
        assert grad.shape == hess.shape == (N, C) and grad.T.flags.c_contiguous and hess.T.flags.c_contiguous
        assert np.shares_memory(grad.ravel(order="F"), grad)
        np.testing.assert_allclose(grad, expected[0], rtol=2e-15, atol=1e-300)
        np.testing.assert_allclose(hess, expected[1], rtol=2e-15, atol=1e-300)
        _assert_class_layout(grad, YM)


def test_xgboost_class_trees_get_their_class_gradients(xgb):
    """One round in which no split is allowed: each class's tree is a leaf holding the Newton step
    -eta sum_i g_ic / (sum_i h_ic + lambda) of that class's gradient column."""
    objective = focalloss.xgboost.softmax_objective(alpha=[0.5, 1.0, 2.0], gamma=2.0, hessian="approximate")
    dtrain = xgb.DMatrix(X, label=YM, weight=W, base_margin=np.tile(BASE_M, (N, 1)))
    params = {"num_class": C, "eta": 0.5, "lambda": 1.0, "min_split_loss": 1e30, "nthread": 1,
              "disable_default_eval_metric": 1}
    booster = xgb.train(params, dtrain, 1, obj=objective)
    grad, hess = objective(np.tile(BASE_M, (N, 1)).astype(np.float32), dtrain)
    step = -0.5 * grad.sum(axis=0, dtype=np.float64) / (hess.sum(axis=0, dtype=np.float64) + 1.0)
    assert len(set(np.sign(step))) > 1  # classes that differ
    margins = booster.predict(dtrain, output_margin=True)
    np.testing.assert_allclose(margins - BASE_M, np.tile(step, (N, 1)), rtol=1e-5, atol=1e-6)


# ---- Training: the focal loss at gamma = 0 is the built-in cross-entropy -----------------------

def _flat_nodes(node, children, out):
    out.append(node)
    for key in children:
        if key in node:
            _flat_nodes(node[key], children, out)
    for child in node.get("children", []):
        _flat_nodes(child, children, out)
    return out


def _assert_same_xgboost_trees(first, second):
    """The same splits, node for node; leaf values within rounding."""
    dumps = first.get_dump(dump_format="json"), second.get_dump(dump_format="json")
    assert len(dumps[0]) == len(dumps[1])
    for a, b in zip(*dumps):
        nodes = _flat_nodes(json.loads(a), (), []), _flat_nodes(json.loads(b), (), [])
        assert [sorted(n) for n in nodes[0]] == [sorted(n) for n in nodes[1]]
        for p, q in zip(*nodes):
            assert ({k: v for k, v in p.items() if k not in ("leaf", "children")}
                    == {k: v for k, v in q.items() if k not in ("leaf", "children")})
            if "leaf" in p:
                assert abs(p["leaf"] - q["leaf"]) <= 1e-6 * (1 + abs(p["leaf"]))


def _assert_same_lightgbm_trees(first, second):
    """The same splits (feature, threshold, rows on each side); leaf values within rounding."""
    trees = first.dump_model()["tree_info"], second.dump_model()["tree_info"]
    assert len(trees[0]) == len(trees[1])
    for a, b in zip(*trees):
        nodes = (_flat_nodes(a["tree_structure"], ("left_child", "right_child"), []),
                 _flat_nodes(b["tree_structure"], ("left_child", "right_child"), []))
        assert len(nodes[0]) == len(nodes[1])
        for p, q in zip(*nodes):
            for key in ("split_feature", "threshold", "decision_type", "internal_count", "leaf_count"):
                assert p.get(key) == q.get(key), key
            if "leaf_value" in p:
                assert abs(p["leaf_value"] - q["leaf_value"]) <= 1e-6 * (1 + abs(p["leaf_value"]))


def _assert_margins_close(first, second, tolerance):
    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    assert np.all(np.abs(first - second) <= tolerance * (1 + np.abs(first)))


XGB_PARAMS = {"max_depth": 3, "eta": 0.3, "lambda": 1.0, "min_child_weight": 1.0, "nthread": 1}


@pytest.mark.parametrize("hessian", HESSIANS)
def test_xgboost_binary_gamma0_is_binary_logistic(xgb, hessian):
    """Sample weights from the DMatrix; both start from margin BASE: binary:logistic reads
    base_score as a probability, a custom objective as a margin."""
    dtrain = xgb.DMatrix(X, label=Y, weight=W)
    builtin = xgb.train(dict(XGB_PARAMS, objective="binary:logistic", base_score=1 / (1 + np.exp(-BASE))),
                        dtrain, ROUNDS)
    focal = xgb.train(dict(XGB_PARAMS, base_score=BASE, disable_default_eval_metric=1), dtrain, ROUNDS,
                      obj=focalloss.xgboost.sigmoid_objective(alpha=None, gamma=0.0, **_hessian(hessian)))
    _assert_same_xgboost_trees(builtin, focal)
    _assert_margins_close(builtin.predict(dtrain, output_margin=True), focal.predict(dtrain, output_margin=True),
                          ROUNDS * 1e-6)


@pytest.mark.parametrize("hessian", HESSIANS)
def test_xgboost_multiclass_gamma0_is_softprob(xgb, hessian):
    """multi:softprob's Hessian is 2 p (1 - p): the focal run halves eta, lambda and
    min_child_weight. Both start from the margins BASE_M (base_margin)."""
    dtrain = xgb.DMatrix(X, label=YM, weight=W, base_margin=np.tile(BASE_M, (N, 1)))
    builtin = xgb.train(dict(XGB_PARAMS, objective="multi:softprob", num_class=C), dtrain, ROUNDS)
    halved = dict(XGB_PARAMS, num_class=C, eta=0.15, min_child_weight=0.5, disable_default_eval_metric=1)
    halved["lambda"] = 0.5
    focal = xgb.train(halved, dtrain, ROUNDS,
                      obj=focalloss.xgboost.softmax_objective(alpha=None, gamma=0.0, **_hessian(hessian)))
    _assert_same_xgboost_trees(builtin, focal)
    _assert_margins_close(builtin.predict(dtrain, output_margin=True), focal.predict(dtrain, output_margin=True),
                          ROUNDS * 1e-6)


LGB_PARAMS = {"num_leaves": 8, "learning_rate": 0.1, "min_sum_hessian_in_leaf": 1e-3, "num_threads": 1,
              "deterministic": True, "force_row_wise": True, "verbose": -1}


@pytest.mark.parametrize("hessian", HESSIANS)
def test_lightgbm_binary_gamma0_is_binary(lgb, hessian):
    """Weights and the starting margin (init_score) from the Dataset; the built-in's sigmoid
    parameter 1 (the logistic link) and boost_from_average off."""
    def data():
        return lgb.Dataset(X, label=Y, weight=W, init_score=np.full(N, BASE))

    builtin = lgb.train(dict(LGB_PARAMS, objective="binary", sigmoid=1.0, boost_from_average=False), data(), ROUNDS)
    focal = lgb.train(dict(LGB_PARAMS, objective=focalloss.lightgbm.sigmoid_objective(alpha=None, gamma=0.0,
                                                                                         **_hessian(hessian))),
                      data(), ROUNDS)
    _assert_same_lightgbm_trees(builtin, focal)
    _assert_margins_close(builtin.predict(X, raw_score=True), focal.predict(X, raw_score=True), 1e-6)


@pytest.mark.parametrize("hessian", HESSIANS)
def test_lightgbm_multiclass_gamma0_is_multiclass(lgb, hessian):
    """multiclass's Hessian is C / (C - 1) p (1 - p): the focal run scales the learning rate and
    the minimum leaf Hessian by (C - 1) / C (lambda_l2 is 0)."""
    def data():
        return lgb.Dataset(X, label=YM, weight=W, init_score=np.tile(BASE_M, (N, 1)))

    builtin = lgb.train(dict(LGB_PARAMS, objective="multiclass", num_class=C, boost_from_average=False), data(),
                        ROUNDS)
    scale = (C - 1) / C
    focal = lgb.train(dict(LGB_PARAMS, num_class=C, learning_rate=0.1 * scale, min_sum_hessian_in_leaf=1e-3 * scale,
                           objective=focalloss.lightgbm.softmax_objective(alpha=None, gamma=0.0, **_hessian(hessian))),
                      data(), ROUNDS)
    _assert_same_lightgbm_trees(builtin, focal)
    _assert_margins_close(builtin.predict(X, raw_score=True), focal.predict(X, raw_score=True), 1e-6)


def test_xgbclassifier_gamma0_is_builtin(xgb, sklearn):
    """The estimators' call, with sample_weight: XGBClassifier runs a custom objective under
    binary:logistic (multi:softprob for 3 classes or more), so base_score is a probability in
    both runs, and predict_proba is the sigmoid (softmax) of the focal margins."""
    common = dict(n_estimators=ROUNDS, max_depth=3, learning_rate=0.3, reg_lambda=1.0, min_child_weight=1.0,
                  n_jobs=1, base_score=0.5)
    builtin = xgb.XGBClassifier(objective="binary:logistic", **common).fit(X, Y, sample_weight=W)
    focal = xgb.XGBClassifier(objective=focalloss.xgboost.sigmoid_objective(alpha=None, gamma=0.0),
                              **common).fit(X, Y, sample_weight=W)
    _assert_same_xgboost_trees(builtin.get_booster(), focal.get_booster())
    _assert_margins_close(builtin.predict_proba(X), focal.predict_proba(X), ROUNDS * 1e-6)

    builtin = xgb.XGBClassifier(objective="multi:softprob", **common).fit(X, YM, sample_weight=W)
    halved = dict(common, learning_rate=0.15, reg_lambda=0.5, min_child_weight=0.5)
    focal = xgb.XGBClassifier(objective=focalloss.xgboost.softmax_objective(alpha=None, gamma=0.0),
                              **halved).fit(X, YM, sample_weight=W)
    _assert_same_xgboost_trees(builtin.get_booster(), focal.get_booster())
    _assert_margins_close(builtin.predict_proba(X), focal.predict_proba(X), ROUNDS * 1e-6)


def test_lgbmclassifier_gamma0_is_builtin(lgb, sklearn):
    """The estimators' call, with sample_weight and init_score (LGBMClassifier returns raw scores
    for a custom objective)."""
    common = dict(n_estimators=ROUNDS, num_leaves=8, learning_rate=0.1, min_child_weight=1e-3, n_jobs=1,
                  deterministic=True, force_row_wise=True, verbose=-1)
    builtin = lgb.LGBMClassifier(objective="binary", boost_from_average=False, **common)
    builtin.fit(X, Y, sample_weight=W, init_score=np.full(N, BASE))
    focal = lgb.LGBMClassifier(objective=focalloss.lightgbm.sigmoid_objective(alpha=None, gamma=0.0), **common)
    focal.fit(X, Y, sample_weight=W, init_score=np.full(N, BASE))
    _assert_same_lightgbm_trees(builtin.booster_, focal.booster_)
    _assert_margins_close(builtin.predict(X, raw_score=True), focal.predict(X, raw_score=True), 1e-6)

    scale = (C - 1) / C
    builtin = lgb.LGBMClassifier(objective="multiclass", boost_from_average=False, **common)
    builtin.fit(X, YM, sample_weight=W, init_score=np.tile(BASE_M, (N, 1)))
    focal = lgb.LGBMClassifier(objective=focalloss.lightgbm.softmax_objective(alpha=None, gamma=0.0),
                               **dict(common, learning_rate=0.1 * scale, min_child_weight=1e-3 * scale))
    focal.fit(X, YM, sample_weight=W, init_score=np.tile(BASE_M, (N, 1)))
    _assert_same_lightgbm_trees(builtin.booster_, focal.booster_)
    _assert_margins_close(builtin.predict(X, raw_score=True), focal.predict(X, raw_score=True), 1e-6)


# ---- Training with the focal loss, and the metrics ---------------------------------------------

def test_xgboost_trains_with_focal_metric(xgb):
    """gamma = 2 with alpha, weighted: the metric XGBoost records each round is the weighted mean
    focal loss of the margins (the model's own, from predict(output_margin=True), by the float64
    reference): XGBoost passes custom metrics raw margins. It falls as the model trains (with
    the clipped Hessian, which converges here at eta 0.3)."""
    for objective, metric, labels, mean in (
            (focalloss.xgboost.sigmoid_objective(0.25, 2.0, hessian="clipped"),
             focalloss.xgboost.sigmoid_metric(0.25, 2.0), Y, _sigmoid_mean),
            (focalloss.xgboost.softmax_objective([0.5, 1.0, 2.0], 2.0, hessian="clipped"),
             focalloss.xgboost.softmax_metric([0.5, 1.0, 2.0], 2.0), YM, _softmax_mean)):
        dtrain = xgb.DMatrix(X, label=labels, weight=W)
        params = dict(XGB_PARAMS, base_score=0.0, disable_default_eval_metric=1)
        if labels is YM:
            params["num_class"] = C
        history = {}
        booster = xgb.train(params, dtrain, ROUNDS, obj=objective, custom_metric=metric, evals=[(dtrain, "train")],
                            evals_result=history, verbose_eval=False)
        values = history["train"]["focal"]
        assert len(values) == ROUNDS and all(b < a for a, b in zip(values, values[1:]))
        alpha = metric._loss.alpha
        expected = mean(booster.predict(dtrain, output_margin=True).astype(np.float64), labels, alpha, 2.0, W)
        assert abs(values[-1] - expected) <= 5e-7  # XGBoost keeps the printed value, to 6 decimals


def test_lightgbm_trains_with_focal_metric(lgb):
    """As for XGBoost: LightGBM passes a custom objective's model's raw scores to feval."""
    for objective, metric, labels, mean, extra in (
            (focalloss.lightgbm.sigmoid_objective(0.25, 2.0, hessian="clipped"),
             focalloss.lightgbm.sigmoid_metric(0.25, 2.0), Y, _sigmoid_mean, {}),
            (focalloss.lightgbm.softmax_objective([0.5, 1.0, 2.0], 2.0, hessian="clipped"),
             focalloss.lightgbm.softmax_metric([0.5, 1.0, 2.0], 2.0), YM, _softmax_mean, {"num_class": C})):
        train = lgb.Dataset(X, label=labels, weight=W)
        history = {}
        booster = lgb.train(dict(LGB_PARAMS, objective=objective, **extra), train, ROUNDS, valid_sets=[train],
                            valid_names=["train"], feval=metric, callbacks=[lgb.record_evaluation(history)])
        values = history["train"]["focal"]
        assert len(values) == ROUNDS and all(b < a for a, b in zip(values, values[1:]))
        expected = mean(booster.predict(X, raw_score=True), labels, metric._loss.alpha, 2.0, W)
        assert abs(values[-1] - expected) <= 1e-12 * expected


@pytest.mark.parametrize("framework", ["xgboost", "lightgbm"])
def test_metric_at_gamma0_is_the_cross_entropy(framework, request):
    """sum(w * loss) / sum(w): the frameworks' logloss and mlogloss at gamma = 0, alpha None."""
    dtype = np.float32 if framework == "xgboost" else np.float64
    adapter = getattr(focalloss, framework)
    x1, x3 = _margins(dtype, (N,)), _margins(dtype, (N, C))
    x = x1.astype(np.float64)
    logloss = np.sum(W * (np.logaddexp(0, x) - Y * x)) / np.sum(W)
    rows = x3.astype(np.float64)
    mlogloss = np.sum(W * (np.logaddexp.reduce(rows, axis=1) - rows[np.arange(N), YM])) / np.sum(W)
    sigmoid, softmax = adapter.sigmoid_metric(alpha=None, gamma=0.0), adapter.softmax_metric(gamma=0.0)
    if framework == "xgboost":
        xgb = request.getfixturevalue("xgb")
        name, value = sigmoid(x1, xgb.DMatrix(X, label=Y, weight=W))
        assert name == "focal" and value == pytest.approx(logloss, rel=1e-13)
        assert sigmoid(Y, x1, sample_weight=W) == pytest.approx(logloss, rel=1e-13)  # the estimators' call
        assert softmax(x3, xgb.DMatrix(X, label=YM, weight=W))[1] == pytest.approx(mlogloss, rel=1e-13)
        assert softmax(YM, x3) == pytest.approx(np.mean(np.logaddexp.reduce(rows, axis=1) - rows[np.arange(N), YM]),
                                                rel=1e-13)
    else:
        lgb = request.getfixturevalue("lgb")
        name, value, higher_better = sigmoid(x1, lgb.Dataset(X, label=Y, weight=W).construct())
        assert (name, higher_better) == ("focal", False) and value == pytest.approx(logloss, rel=1e-13)
        assert sigmoid(Y, x1, W)[1] == pytest.approx(logloss, rel=1e-13)
        margins = np.asfortranarray(x3)  # as LightGBM hands them
        assert softmax(YM, margins, W)[1] == pytest.approx(mlogloss, rel=1e-13)


def test_estimators_train_with_focal_loss(xgb, lgb, sklearn):
    """gamma = 2 through both estimators, with sample weights, eval sets and the metric under
    its name."""
    model = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=3, n_jobs=1,
                              objective=focalloss.xgboost.softmax_objective(gamma=2.0, hessian="clipped"),
                              eval_metric=focalloss.xgboost.softmax_metric(gamma=2.0))
    model.fit(X, YM, sample_weight=W, eval_set=[(X, YM)], sample_weight_eval_set=[W], verbose=False)
    values = model.evals_result()["validation_0"]["focal"]
    assert all(b < a for a, b in zip(values, values[1:]))
    assert np.allclose(model.predict_proba(X).sum(axis=1), 1.0)
    again = pickle.loads(pickle.dumps(model))  # with its objective and metric
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))

    model = lgb.LGBMClassifier(n_estimators=ROUNDS, num_leaves=8, n_jobs=1, verbose=-1,
                               objective=focalloss.lightgbm.sigmoid_objective(gamma=2.0, hessian="clipped"))
    model.fit(X, Y, sample_weight=W)
    margins = model.predict(X, raw_score=True)
    assert margins.shape == (N,)
    before = focalloss.lightgbm.sigmoid_metric(gamma=2.0)(Y, np.zeros(N), W)[1]
    after = focalloss.lightgbm.sigmoid_metric(gamma=2.0)(Y, margins, W)[1]
    assert after < before
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X, raw_score=True), margins)


# ---- Starting margins, and what survives a pickle ----------------------------------------------

def test_xgboost_reads_base_score_as_a_margin_with_a_custom_objective(xgb):
    """What docs/python.md tells: with obj= and no objective in params, XGBoost starts from
    base_score as a raw margin, 0.5 when it is not set."""
    dtrain = xgb.DMatrix(X, label=Y)
    objective = focalloss.xgboost.sigmoid_objective()
    for params, start in (({}, 0.5), ({"base_score": BASE}, BASE)):
        first_margins = []

        def recording(predt, data):
            first_margins.append(predt.copy())
            return objective(predt, data)

        xgb.train(dict(params, disable_default_eval_metric=1), dtrain, 1, obj=recording)
        np.testing.assert_allclose(first_margins[0], start, rtol=1e-7)


@pytest.mark.parametrize("adapter", [focalloss.xgboost, focalloss.lightgbm], ids=["xgboost", "lightgbm"])
def test_init_scores_are_where_the_summed_gradient_vanishes(adapter):
    """focalloss.sigmoid_focal_init_score and softmax_focal_init_score, the starts the docs
    recommend, are the margins at which the objective's weighted gradients sum to 0 (per class)."""
    for alpha, gamma in ((0.25, 2.0), (None, 0.0), (0.75, 1.0)):
        start = focalloss.sigmoid_focal_init_score(Y, alpha, gamma, weights=W)
        grad, _ = adapter.sigmoid_objective(alpha, gamma)(Y, np.full(N, start), W)
        assert abs(grad.sum()) <= 1e-9 * np.abs(grad).sum(), (alpha, gamma)
    for alpha, gamma in (([0.5, 1.0, 2.0], 2.0), (None, 0.0)):
        start = focalloss.softmax_focal_init_score(YM, C, alpha, gamma, weights=W)
        grad, _ = adapter.softmax_objective(alpha, gamma)(YM, np.tile(start, (N, 1)), W)
        assert np.all(np.abs(grad.sum(axis=0)) <= 1e-9 * np.abs(grad).sum(axis=0)), (alpha, gamma)


def test_objectives_and_metrics_pickle():
    """A fitted estimator pickles its objective and metric: they come back the same."""
    y, x = YM.astype(np.float32), _margins(np.float32, (N, C))
    for adapter in (focalloss.xgboost, focalloss.lightgbm):
        for made in (adapter.softmax_objective([0.5, 1.0, 2.0], 1.0, hessian="approximate"),
                     adapter.softmax_metric([0.5, 1.0, 2.0], 1.0, name="fl")):
            again = pickle.loads(pickle.dumps(made))
            assert repr(again) == repr(made) and "alpha=[0.5, 1.0, 2.0], gamma=1.0" in repr(made)
            first, second = made(y, x, W.astype(np.float32)), again(y, x, W.astype(np.float32))
            if isinstance(made, adapter.Objective):
                for a, b in zip(first, second):
                    np.testing.assert_array_equal(a, b)
            else:
                assert first == second


@pytest.mark.parametrize("module", [focalloss.xgboost, focalloss.lightgbm], ids=["xgboost", "lightgbm"])
def test_objective_and_metric_pick_the_loss_by_num_class(module):
    """`objective` / `metric` (the names of the issue and of the docs): the sigmoid loss without
    num_class (alpha 0.25 by default), the softmax one for num_class >= 2 (alpha None by default)."""
    g = np.random.default_rng(9)
    margins = g.normal(size=50)
    labels = (g.random(50) < 0.2).astype(np.float64)
    grad, hess = module.objective(gamma=2.0)(labels, margins)
    expected = focalloss.sigmoid_focal_grad_hess(margins, labels, 0.25, 2.0)
    np.testing.assert_array_equal(grad, expected[0])
    np.testing.assert_array_equal(hess, expected[1])
    scores = g.normal(size=(50, 3))
    classes = g.integers(0, 3, 50).astype(np.float64)
    grad, hess = module.objective(gamma=1.0, num_class=3, hessian="exact")(classes, scores)
    expected = focalloss.softmax_focal_grad_hess(scores, classes.astype(np.int64), None, 1.0, hessian="exact")
    np.testing.assert_allclose(grad.reshape(expected[0].shape), expected[0], rtol=0, atol=0)
    np.testing.assert_allclose(hess.reshape(expected[1].shape), expected[1], rtol=0, atol=0)
    value = module.metric(alpha=None, gamma=0.0)(labels, margins)
    value = value[1] if isinstance(value, tuple) else value
    p = 1 / (1 + np.exp(-margins))
    assert np.isclose(value, -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)), rtol=1e-12)
    with pytest.raises(ValueError, match="num_class = 0"):
        module.objective(num_class=0)
    with pytest.raises(TypeError, match="num_class must be None or an integer"):
        module.metric(num_class="3")
