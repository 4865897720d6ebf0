"""lightgbm_focal.py: gradient boosting with the focal loss in Python, on LightGBM: the problem of
examples/xgboost_focal.c, trained with focalloss.lightgbm's objective and with LightGBM's own
``binary`` objective (with and without scale_pos_weight), compared on held-out data over several
seeds.

The data. xgboost_focal writes each seed's rows (--write-data; the problem is described in its
header: 16 features, 1.6% positive, hard negatives, label noise); this program runs it once per
seed with the cheapest options that still write the data (one seed, one round, one Hessian mode):

    xgboost_focal --seed S --seeds 1 --rounds 1 --hessian exact --rows N --test-rows M --write-data PATH

Rows depend only on (seed, row index), so these are the rows the C demo trains and scores on (the
short run's 5,000 are the first 5,000 of the full run's 50,000). --data-dir DIR keeps the CSV files
there and reads them again on the next run (their first line names the seed and the row counts,
and is checked); without it they go to a temporary directory. The C demo also prints the true
probabilities' scores (held-out AP 0.67, "a ceiling"); the data file has no such column.

The models: the C demo's budget, the same for every model and never tuned on held-out data.
200 rounds, learning rate 0.1; trees of depth at most 4 with up to 16 leaves (max_depth 4,
num_leaves 2^4: LightGBM grows leaf by leaf, and 16 leaves let it grow the full depth-4 tree that
XGBoost's depth-wise trees can reach, where LightGBM's default 31 would be held back by the depth
alone and 15 could never grow it); XGBoost's regularisers, which are absolute amounts
of Hessian: lambda_l2 1 (XGBoost's lambda), min_sum_hessian_in_leaf 1 (its min_child_weight),
min_data_in_leaf 1 (XGBoost has no count rule: the Hessian rule sizes the leaves) and
min_gain_to_split 0; 256 histogram bins (XGBoost's hist method); no bagging, no feature sampling.
Deterministic: one thread for LightGBM and for focalloss (the machine it was written on has 2
shared cores), deterministic=True, force_row_wise=True (no timed choice between the histogram
layouts), seed 0. Each model starts from its own optimal constant margin, given as the Dataset's
init_score (which LightGBM does not keep: the margins are predict(raw_score=True) + start):
  - focal: focalloss.sigmoid_focal_init_score, the margin that minimises the summed focal loss.
    The objective is focalloss.lightgbm.objective(alpha, gamma, hessian=...), once for each
    Hessian mode: "exact", "clipped" (the library's default) and "approximate".
  - binary: the logit of the positive rate, which is what LightGBM's boost_from_average would
    choose (an init_score turns it off). With scale_pos_weight = negatives / positives, the logit
    of the weighted rate, 0, as in the C demo; LightGBM's boost_from_average would start that
    model from the unweighted rate (it ignores scale_pos_weight). sigmoid 1 (the logistic link).
The focal gradient and Hessian are multiplied by one constant per model, the "scale", exactly as
in the C demo: the log-loss's Hessian sums to N pi (1 - pi) at its start, the focal loss's
(its "approximate" form, positive) to about 10 times less at gamma 2, so that the same
lambda_l2 and min_sum_hessian_in_leaf would regularise the focal trees that much harder unscaled.
The scale makes the two sums equal at the start; a constant factor changes neither the loss's
minimiser nor an unregularised Newton step. --scale X sets it by hand (--scale 1: none).

Scores, on the held-out rows: average precision (sklearn.metrics.average_precision_score of the
margins) and the log-loss of sigmoid(margin) (as softplus(-z), z = (2t - 1) margin, without
forming p). The focal loss does not estimate probabilities (it flattens the loss of confident
predictions), so its log-loss is expected to be worse; AP depends only on the ranking. The
training focal loss at checkpoints is focalloss.lightgbm.metric's. Times are lgb.train's alone
(the Dataset is built before; the checkpoints are computed after, from the trained model).

Checks (exit status 1 when one fails): every held-out margin finite; every model's held-out AP
above the held-out positive rate (a random ranking's); every focal model's training focal loss
lower at the end than at its start; and every focal model at gamma 0 without alpha (the focal
loss is then the log-loss, and each Hessian mode its Hessian) against the binary model started
from the same margin: held-out AP and log-loss equal within 1e-4 relative. --check-log-loss adds
such focal models (one per Hessian mode) to a run; --short does too.

Usage: PYTHONPATH=bindings/python python examples/lightgbm_focal.py [--seeds N] [--seed S]
           [--rounds R] [--rows N] [--test-rows N] [--alpha A|none] [--gamma G]
           [--hessian exact|clipped|approximate|all] [--depth D] [--eta E] [--lambda L]
           [--scale X] [--threads N] [--check-log-loss] [--short] [--data-dir DIR]
           [--xgboost-focal PATH]
Defaults: seeds 1..5, 200 rounds, 50,000 training and 50,000 held-out rows, alpha 0.25, gamma 2,
all three Hessian modes, depth 4, eta 0.1, lambda 1, scale 0 (automatic), threads 1,
build/xgboost_focal. --short: 2 seeds, 20 rounds, 5,000 + 5,000 rows, --check-log-loss.
Needs lightgbm >= 4.0 and scikit-learn; `make demo-lightgbm` runs it on build/test-venv.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import focalloss
import focalloss.lightgbm

try:
    import lightgbm as lgb
    from sklearn.metrics import average_precision_score
except ImportError as error:  # a message, not a traceback: the package itself needs numpy only
    sys.exit("lightgbm_focal.py needs lightgbm and scikit-learn (%s): `make test-venv` installs them into "
             "build/test-venv" % error)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEATURES = 16
HESSIANS = ("exact", "clipped", "approximate")
CHECKPOINTS = (10, 25, 50, 100, 200, 400, 800)
TOLERANCE = 1e-4  # relative, for the gamma-0 check


# ---- The data: xgboost_focal's CSV files.

def data_header(seed, rows, test_rows):
    return "# xgboost_focal data, format 1: seed=%d train_rows=%d test_rows=%d features=%d" % (
        seed, rows, test_rows, FEATURES)


def load_data(cfg, directory, seed, keep):
    """(x_train, y_train, x_test, y_test) of one seed, float64 (every float32 the file holds, exactly)."""
    path = os.path.join(directory, "xgboost_focal-seed%d-%d-%d.csv" % (seed, cfg.rows, cfg.test_rows))
    if not os.path.exists(path):
        part = path + ".part"  # renamed when complete: a kept directory never holds half a file
        command = [cfg.xgboost_focal, "--seed", str(seed), "--seeds", "1", "--rounds", "1", "--hessian", "exact",
                   "--rows", str(cfg.rows), "--test-rows", str(cfg.test_rows), "--write-data", part]
        try:
            run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        except OSError as error:
            sys.exit("cannot run %s (%s): `make build/xgboost_focal` builds it; --xgboost-focal PATH names another"
                     % (cfg.xgboost_focal, error))
        if run.returncode != 0:
            sys.exit("%s failed (exit status %d):\n%s" % (" ".join(command), run.returncode, run.stderr))
        os.replace(part, path)
    with open(path) as f:
        first = f.readline().rstrip("\n")
    if first != data_header(seed, cfg.rows, cfg.test_rows):
        sys.exit("%s: expected the line %r, found %r" % (path, data_header(seed, cfg.rows, cfg.test_rows), first))
    table = np.loadtxt(path, delimiter=",", skiprows=2)
    if not keep:
        os.remove(path)
    train = table[:, 0] == 0
    if table.shape != (cfg.rows + cfg.test_rows, 2 + FEATURES) or np.count_nonzero(train) != cfg.rows:
        sys.exit("%s: not %d training and %d held-out rows of %d features" % (path, cfg.rows, cfg.test_rows,
                                                                              FEATURES))
    return table[train, 2:], table[train, 1], table[~train, 2:], table[~train, 1]


# ---- Scores.

def log_loss(margin, label):
    """Mean log-loss of sigmoid(margin): softplus(-z), z = (2t - 1) margin."""
    return float(np.mean(np.logaddexp(0.0, -np.where(label == 1.0, margin, -margin))))


def mean_probability(margin):
    # sigmoid as (1 + tanh(x / 2)) / 2: no exp to overflow at any margin.
    return float(np.mean(0.5 * (1.0 + np.tanh(0.5 * margin))))


def mean_spread(values):
    v = np.asarray(values, dtype=np.float64)
    return float(np.mean(v)), (float(np.std(v, ddof=1)) if v.size > 1 else 0.0)


# ---- Methods and models.

class Method:
    """kind: "focal", "binary" or "binary_weighted"; for the focal kind, its alpha, gamma and Hessian mode."""

    def __init__(self, kind, name, hessian=None, alpha=None, gamma=None):
        self.kind, self.name, self.hessian, self.alpha, self.gamma = kind, name, hessian, alpha, gamma

    def is_log_loss(self):
        """A focal model that is the log-loss's: gamma 0 without alpha."""
        return self.kind == "focal" and self.gamma == 0.0 and self.alpha is None


def lightgbm_params(cfg):
    """Every model's parameters but its objective (see the header: the C demo's budget)."""
    return {"learning_rate": cfg.eta, "max_depth": cfg.depth, "num_leaves": min(2 ** cfg.depth, 131072),
            "lambda_l2": cfg.lam, "min_sum_hessian_in_leaf": 1.0, "min_data_in_leaf": 1, "min_gain_to_split": 0.0,
            "max_bin": 256, "num_threads": cfg.threads, "deterministic": True, "force_row_wise": True, "seed": 0,
            "verbosity": -1}


def timed_objective(objective, scale, counters):
    """The focal objective, its outputs times the scale; adds its time and its negative Hessians
    to counters. A function, not an object: lgb.train deep-copies its params, and copies a
    function as itself (an object's counters would be counted in the copy)."""

    def scaled(preds, train_data):
        started = time.perf_counter()
        grad, hess = objective(preds, train_data)
        counters["negative"] += int(np.count_nonzero(hess < 0.0))
        if scale != 1.0:
            grad *= scale
            hess *= scale
        counters["seconds"] += time.perf_counter() - started
        return grad, hess

    return scaled


def run_method(cfg, method, data):
    """Trains one model on one seed's data; returns what it did, as a dict."""
    x, y, x_test, y_test = data
    n = y.size
    positives = float(np.sum(y))
    negatives = n - positives
    params = lightgbm_params(cfg)
    out = {"scale": 1.0, "negative": 0.0, "grad_seconds": 0.0}
    if method.kind == "focal":
        start = focalloss.sigmoid_focal_init_score(y, method.alpha, method.gamma, num_threads=cfg.threads)
        scale = cfg.scale
        if scale == 0.0:
            # The log-loss's Hessian sum at its own start over the focal one's (approximate form).
            pi = positives / n
            _, hess = focalloss.sigmoid_focal_grad_hess(np.full(n, start), y, method.alpha, method.gamma,
                                                        hessian="approximate", num_threads=cfg.threads)
            scale = n * pi * (1.0 - pi) / float(np.sum(hess))
        counters = {"seconds": 0.0, "negative": 0}
        objective = focalloss.lightgbm.objective(method.alpha, method.gamma, hessian=method.hessian,
                                                 num_threads=cfg.threads)
        params["objective"] = timed_objective(objective, scale, counters)
        out["scale"] = scale
    else:
        spw = negatives / positives if method.kind == "binary_weighted" else 1.0
        start = math.log(spw * positives / negatives)
        params.update(objective="binary", sigmoid=1.0)
        if method.kind == "binary_weighted":
            params["scale_pos_weight"] = spw
    out["start"] = start

    # Built before the clock starts, with the parameters that shape it (the bins).
    train = lgb.Dataset(x, label=y, init_score=np.full(n, start), params=lightgbm_params(cfg),
                        free_raw_data=False).construct()
    started = time.perf_counter()
    booster = lgb.train(params, train, num_boost_round=cfg.rounds)
    out["seconds"] = time.perf_counter() - started
    if method.kind == "focal":
        out["grad_seconds"] = counters["seconds"]
        out["negative"] = counters["negative"] / (n * cfg.rounds)

    margin = booster.predict(x_test, raw_score=True, num_threads=cfg.threads) + start
    if not np.all(np.isfinite(margin)):
        sys.exit("%s: a held-out margin is not finite" % method.name)
    out["ap"] = float(average_precision_score(y_test, margin))
    out["logloss"] = log_loss(margin, y_test)
    out["mean_p"] = mean_probability(margin)

    if method.kind == "focal":
        # Convergence: the training focal loss (the metric, unscaled) and the held-out AP after
        # the checkpoint rounds, each checkpoint's trees added to the previous one's margins.
        metric = focalloss.lightgbm.metric(method.alpha, method.gamma, num_threads=cfg.threads)
        train_margin = np.full(n, start)
        test_margin = np.full(y_test.size, start)
        out["train_focal_start"] = metric(y, train_margin, None)[1]
        out["train_focal"], out["test_ap"] = [], []
        done = 0
        for at in checkpoint_rounds(cfg.rounds):
            train_margin += booster.predict(x, raw_score=True, start_iteration=done, num_iteration=at - done,
                                            num_threads=cfg.threads)
            test_margin += booster.predict(x_test, raw_score=True, start_iteration=done, num_iteration=at - done,
                                           num_threads=cfg.threads)
            out["train_focal"].append(metric(y, train_margin, None)[1])
            out["test_ap"].append(float(average_precision_score(y_test, test_margin)))
            done = at
    return out


def checkpoint_rounds(rounds):
    return [at for at in CHECKPOINTS if at < rounds][:7] + [rounds]


# ---- The program.

def parse(argv):
    parser = argparse.ArgumentParser(description="LightGBM with the focal loss (focalloss.lightgbm) against its "
                                                 "binary objective, on examples/xgboost_focal.c's problem.")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="the first seed (default 1)")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--rows", type=int, default=50000, help="training rows")
    parser.add_argument("--test-rows", type=int, default=50000, help="held-out rows")
    parser.add_argument("--alpha", default="0.25", help="the focal loss's alpha, or none")
    parser.add_argument("--gamma", type=float, default=2.0)
    parser.add_argument("--hessian", choices=HESSIANS + ("all",), default="all")
    parser.add_argument("--depth", type=int, default=4, help="max_depth; num_leaves is 2^depth")
    parser.add_argument("--eta", type=float, default=0.1, help="learning rate")
    parser.add_argument("--lambda", dest="lam", type=float, default=1.0, help="lambda_l2")
    parser.add_argument("--scale", type=float, default=0.0, help="the focal outputs' factor (0: automatic)")
    parser.add_argument("--threads", type=int, default=1, help="for LightGBM and focalloss")
    parser.add_argument("--check-log-loss", action="store_true",
                        help="add focal models at gamma 0 without alpha, checked against binary")
    parser.add_argument("--short", action="store_true",
                        help="2 seeds, 20 rounds, 5,000 + 5,000 rows, --check-log-loss")
    parser.add_argument("--data-dir", help="keep the data files here (and read them from here)")
    parser.add_argument("--xgboost-focal", default=os.path.join(ROOT, "build", "xgboost_focal"),
                        help="the C demo, which writes the data (default build/xgboost_focal)")
    cfg = parser.parse_args(argv)
    if cfg.short:
        cfg.seeds, cfg.rounds, cfg.rows, cfg.test_rows, cfg.check_log_loss = 2, 20, 5000, 5000, True
    cfg.alpha = None if cfg.alpha.lower() in ("none", "-1") else float(cfg.alpha)
    if not (cfg.seeds >= 1 and cfg.seed >= 0 and cfg.rounds >= 1 and cfg.rows >= 100 and cfg.test_rows >= 100
            and cfg.depth >= 1 and cfg.eta > 0 and cfg.lam >= 0 and cfg.scale >= 0 and cfg.threads >= 1):
        parser.error("a value out of range")
    return cfg


def methods_of(cfg):
    methods = [Method("focal", "focal, %s Hessian" % h, h, cfg.alpha, cfg.gamma)
               for h in (HESSIANS if cfg.hessian == "all" else (cfg.hessian,))]
    if cfg.check_log_loss and not (cfg.gamma == 0.0 and cfg.alpha is None):
        methods += [Method("focal", "focal gamma 0 no alpha, %s" % h, h, None, 0.0) for h in HESSIANS]
    methods += [Method("binary", "binary"), Method("binary_weighted", "binary, scale_pos_weight")]
    return methods


def main(argv):
    cfg = parse(argv)
    methods = methods_of(cfg)
    seeds = list(range(cfg.seed, cfg.seed + cfg.seeds))
    results = {m.name: [] for m in methods}
    rates, test_rates = [], []
    began = time.perf_counter()

    print("focalloss %s, LightGBM %s (custom objective): focal loss against binary"
          % (focalloss.__version__, lgb.__version__))
    params = lightgbm_params(cfg)
    print("seeds %d..%d; %d training and %d held-out rows of %d features each; max_depth %d, num_leaves %d, "
          "learning rate %g, lambda_l2 %g, min_sum_hessian_in_leaf %g, %d rounds"
          % (seeds[0], seeds[-1], cfg.rows, cfg.test_rows, FEATURES, params["max_depth"], params["num_leaves"],
             params["learning_rate"], params["lambda_l2"], params["min_sum_hessian_in_leaf"], cfg.rounds))
    print("focal loss: alpha %s, gamma %g; every model starts from its optimal constant margin"
          % ("none" if cfg.alpha is None else "%g" % cfg.alpha, cfg.gamma))
    sys.stdout.flush()

    with tempfile.TemporaryDirectory(prefix="lightgbm_focal-") as scratch:
        if cfg.data_dir:
            os.makedirs(cfg.data_dir, exist_ok=True)
        for seed in seeds:
            data = load_data(cfg, cfg.data_dir or scratch, seed, keep=bool(cfg.data_dir))
            rates.append(float(np.mean(data[1])))
            test_rates.append(float(np.mean(data[3])))
            for m in methods:
                results[m.name].append(run_method(cfg, m, data))

    failed = []
    print("training rows: %.2f%% positive; held out: %.2f%% positive\n"
          % (100 * np.mean(rates), 100 * np.mean(test_rates)))
    print("held-out scores, mean +- standard deviation over %d seed%s:" % (cfg.seeds, "s" if cfg.seeds > 1 else ""))
    print("  %-36s %17s %17s %8s %8s %9s" % ("method", "average precision", "log-loss", "mean p", "seconds",
                                              "ms/round"))
    for m in methods:
        r = results[m.name]
        ap, ap_sd = mean_spread([x["ap"] for x in r])
        ll, ll_sd = mean_spread([x["logloss"] for x in r])
        p, _ = mean_spread([x["mean_p"] for x in r])
        t, _ = mean_spread([x["seconds"] for x in r])
        print("  %-36s  %.4f +- %.4f  %.4f +- %.4f %8.4f %8.2f %9.2f" % (m.name, ap, ap_sd, ll, ll_sd, p, t,
                                                                          1e3 * t / cfg.rounds))
        for seed, x, rate in zip(seeds, r, test_rates):
            if not x["ap"] > rate:
                failed.append("%s, seed %d: held-out AP %.4f is not above the positive rate" % (m.name, seed, x["ap"]))
    print("  (held-out positive rate %.4f; mean p: the mean of sigmoid(margin) on the held-out rows)"
          % np.mean(test_rates))

    if cfg.seeds > 1:
        print("\nheld-out average precision per seed:\n  %-36s%s" % ("seed", "".join(" %7d" % s for s in seeds)))
        for m in methods:
            print("  %-36s%s" % (m.name, "".join(" %7.4f" % x["ap"] for x in results[m.name])))

    at = checkpoint_rounds(cfg.rounds)
    print("\nconvergence of the focal models (mean over seeds): training focal loss / held-out AP")
    print("  %-36s %11s%s" % ("round", "start", "".join(" %17d" % a for a in at)))
    for m in methods:
        if m.kind != "focal":
            continue
        r = results[m.name]
        line = "  %-36s %11.6f" % (m.name, np.mean([x["train_focal_start"] for x in r]))
        for c in range(len(at)):
            line += "  %8.6f / %.4f" % (np.mean([x["train_focal"][c] for x in r]),
                                        np.mean([x["test_ap"][c] for x in r]))
        print(line)
        for seed, x in zip(seeds, r):
            if not x["train_focal"][-1] < x["train_focal_start"]:
                failed.append("%s, seed %d: the training focal loss did not go down" % (m.name, seed))

    log_loss_models = [m for m in methods if m.is_log_loss()]
    if log_loss_models:
        # At gamma 0 without alpha the focal loss is the log-loss and every Hessian mode its
        # Hessian: each such model is LightGBM's binary, grown from focalloss's gradients.
        worst_ap = worst_ll = worst_start = 0.0
        for m in log_loss_models:
            for x, b in zip(results[m.name], results["binary"]):
                worst_ap = max(worst_ap, abs(x["ap"] - b["ap"]) / b["ap"])
                worst_ll = max(worst_ll, abs(x["logloss"] - b["logloss"]) / b["logloss"])
                worst_start = max(worst_start, abs(x["start"] - b["start"]))
        print("\ngamma 0 without alpha is the log-loss: the focal models against binary differ by at most %.2g in AP "
              "and %.2g in log-loss (relative), %.2g in the starting margin" % (worst_ap, worst_ll, worst_start))
        if not (worst_ap <= TOLERANCE and worst_ll <= TOLERANCE and worst_start <= 1e-12):
            failed.append("at gamma 0 without alpha the focal models are not LightGBM's binary")

    print("\nper model, mean over seeds: the starting margin; for the focal models the scale, the share of\n"
          "row-rounds with a negative Hessian, and the share of the training time spent in the objective")
    print("  %-36s %8s %8s %10s %10s" % ("method", "start", "scale", "h < 0", "objective"))
    for m in methods:
        r = results[m.name]
        start = np.mean([x["start"] for x in r])
        if m.kind == "focal":
            print("  %-36s %8.4f %8.2f %9.4f%% %9.1f%%" % (
                m.name, start, np.mean([x["scale"] for x in r]), 100 * np.mean([x["negative"] for x in r]),
                100 * np.mean([x["grad_seconds"] / x["seconds"] for x in r])))
        else:
            print("  %-36s %8.4f" % (m.name, start))
    print("total %.1f s" % (time.perf_counter() - began))
    for message in failed:
        print("check failed: " + message, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
