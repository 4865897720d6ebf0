"""torchvision and kornia at the inputs of docs/peers.md: saturated logits, gamma 0.5, float16 on CPU,
kornia's softmax mean. Needs torch, torchvision and kornia (a virtual environment outside the repository):
    python tools/peer_checks/check_torch_peers.py      (output kept in docs/peer-checks.txt)
"""
import torch, torchvision, kornia
from torchvision.ops import sigmoid_focal_loss as tv
from kornia.losses import binary_focal_loss_with_logits as kb, focal_loss as kf
import torch.nn.functional as F
print("torch", torch.__version__, "torchvision", torchvision.__version__, "kornia", kornia.__version__)
REF = {(30,1): 2.0485031559971496e-40, (30,0): 22.499999999995859, (20,0): 14.999999939711257, (40,0): 30.0}
def run(fn, x, t, g, dt):
    x = torch.tensor([[float(x)]], dtype=dt, requires_grad=True); tt = torch.tensor([[float(t)]], dtype=dt)
    l = fn(x, tt, g).sum(); l.backward(); return float(l), float(x.grad.reshape(-1)[0])
TV = lambda x, t, g: tv(x, t, alpha=0.25, gamma=g, reduction="none")
KB = lambda x, t, g: kb(x, t, alpha=0.25, gamma=g, reduction="none")
for name, fn in [("torchvision", TV), ("kornia-binary", KB)]:
    for (x, t, dt) in [(30,1,torch.float64),(30,0,torch.float64),(20,0,torch.float32),(40,0,torch.float64)]:
        l, g = run(fn, x, t, 2.0, dt); r = REF[(x,t)]
        print(f"{name} {dt} x={x} t={t} g=2: loss={l!r} exact={r!r} relerr={abs(l-r)/r:.3g} grad={g!r}")
    for (x, t) in [(40,1),(-40,0),(1000,1)]:
        for g in (0.5, 0.0):
            l, gr = run(fn, x, t, g, torch.float32); print(f"{name} float32 x={x} t={t} gamma={g}: loss={l!r} grad={gr!r}")
    try:
        l, gr = run(fn, 1.0, 1, 2.0, torch.float16); print(f"{name} float16 CPU x=1 t=1: loss={l!r} grad={gr!r}")
    except Exception as e: print(name, "float16 CPU error:", type(e).__name__, e)
# kornia softmax focal
def ks(x, y, g, dt=torch.float32, **kw):
    x = torch.tensor([x], dtype=dt, requires_grad=True); l = kf(x, torch.tensor(y), alpha=None, gamma=g, reduction="sum", **kw); l.backward(); return float(l), x.grad.tolist()
print("kornia softmax f32 [40,0,0] y=0 g=0.5:", ks([40.,0.,0.],[0],0.5))
print("kornia softmax f32 [40,0,0] y=0 g=0:", ks([40.,0.,0.],[0],0.0))
print("kornia softmax f64 [0,0,40] y=0 g=0 (CE=40):", ks([0.,0.,40.],[0],0.0, torch.float64))
# kornia mean vs cross_entropy at gamma=0
x = torch.randn(4, 5, dtype=torch.float64); y = torch.tensor([0, 1, 2, -100])
km = kf(x, y, alpha=None, gamma=0.0, reduction="mean"); ce = F.cross_entropy(x, y, reduction="mean")
ksum = kf(x, y, alpha=None, gamma=0.0, reduction="sum"); cesum = F.cross_entropy(x, y, reduction="sum")
print(f"kornia gamma=0 mean={float(km)!r} sum={float(ksum)!r}; cross_entropy mean={float(ce)!r} sum={float(cesum)!r}; kornia none shape={tuple(kf(x,y,alpha=None,gamma=0.,reduction='none').shape)}")
try:
    l = kf(torch.zeros(2,3,dtype=torch.float16), torch.tensor([0,1]), alpha=None, reduction="sum"); print("kornia softmax float16 CPU:", float(l))
except Exception as e: print("kornia softmax float16 CPU error:", type(e).__name__, e)
