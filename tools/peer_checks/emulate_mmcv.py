"""mmcv has no CPU focal-loss kernel, so this is not a run of mmcv: a numpy transcription of the per-element
formulas of its CUDA kernels (mmcv 2.2.0, mmcv/ops/csrc/common/cuda/{sigmoid,softmax}_focal_loss_cuda_kernel.cuh),
to show what their clamping and their softmax backward give.
    python3 tools/peer_checks/emulate_mmcv.py
"""
import numpy as np
np.seterr(all="ignore")
FLT_MIN = np.float32(np.finfo(np.float32).tiny)
def sig_fwd_neg(x, g, a, T):   # target class != c
    x = T(x); p = T(1) / (T(1) + np.exp(-x)); return -(T(1)-T(a)) * p**T(g) * np.log(max(T(1)-p, T(FLT_MIN)))
def sig_fwd_pos(x, g, a, T):
    x = T(x); p = T(1) / (T(1) + np.exp(-x)); return -T(a) * (T(1)-p)**T(g) * np.log(max(p, T(FLT_MIN)))
for T in (np.float32, np.float64):
    for x in (20, 30, 40):
        print(f"mmcv-emul sigmoid {T.__name__} x={x} t=neg g=2: loss={float(sig_fwd_neg(x,2,0.25,T))!r}")
    print(f"mmcv-emul sigmoid {T.__name__} x=30 t=pos g=2: loss={float(sig_fwd_pos(30,2,0.25,T))!r}")
def soft_buff(pred, g, a, T):
    pred = T(pred); g = T(g)
    return T(a) * (-(T(1)-pred)**g + g * (T(1)-pred)**(g-T(1)) * pred * np.log(max(pred, T(FLT_MIN))))
for g in (0.5, 0.0, 2.0):
    # softmax prob of the target class that rounds to 1 (e.g. logits [40,0,0] in float32)
    x = np.array([40, 0, 0], np.float32); s = np.exp(x - x.max()); s /= s.sum()
    print(f"mmcv-emul softmax float32 logits [40,0,0] y=0 p_y={s[0]!r} gamma={g}: d/dx-scale buff={float(soft_buff(s[0], g, 0.25, np.float32))!r}")
