"""focalloss at the same inputs as the other checks.  PYTHONPATH=bindings/python python3 tools/peer_checks/check_focalloss.py
"""
import numpy as np, focalloss
def row(name, x, t, dt, g=2.0, alpha=0.25):
    l, gr = focalloss.sigmoid_focal_loss(np.array([x], dt), np.array([t], dt), alpha=alpha, gamma=g, reduction="sum", return_grad=True)
    print(f"{name}: loss={float(l)!r} grad={float(gr[0])!r}")
row("f64 x=30 t=1", 30, 1, np.float64); row("f64 x=30 t=0", 30, 0, np.float64)
row("f32 x=20 t=0", 20, 0, np.float32); row("f64 x=40 t=0", 40, 0, np.float64)
for x, t in [(40,1),(-40,0),(1000,1)]:
    row(f"f32 g=0.5 x={x} t={t}", x, t, np.float32, g=0.5)
    row(f"f32 g=0 x={x} t={t}", x, t, np.float32, g=0.0)
# softmax: gamma=0.5, saturated row
x = np.array([[40., 0., 0.]], np.float32)
l, gr = focalloss.softmax_focal_loss(x, np.array([0]), gamma=0.5, reduction="sum", return_grad=True)
print("softmax f32 g=0.5 [40,0,0] y=0:", float(l), gr.tolist())
# float16 at the peers' float16 input (x = 1, t = 1), and at a logit past fp16's danger points
row("float16 x=1 t=1", 1, 1, np.float16); row("float16 g=0.5 x=12 t=1", 12, 1, np.float16, g=0.5)
# per-sample weights: twice the weight, twice the loss; weight 0 masks a NaN logit
l = focalloss.sigmoid_focal_loss(np.array([1., np.nan]), np.array([1., 0.]), reduction="sum",
                                 weights=np.array([2., 0.]))
print("weights [2, 0] at x=[1, nan]:", float(l))
# reductions / normalizer
l = focalloss.sigmoid_focal_loss(np.array([1.,2.],np.float64), np.array([1.,0.]), reduction="mean", normalizer=1.0); print("normalizer ok", float(l))
# ignore_index + label smoothing + alpha vector
l = focalloss.softmax_focal_loss(np.zeros((2,3)), np.array([0,-100]), alpha=np.array([1.,2.,3.]), label_smoothing=0.1); print("softmax alpha vec+ignore+ls ok", float(l))
