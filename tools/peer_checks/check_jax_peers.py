"""optax.sigmoid_focal_loss and keras's focal cross-entropies (jax backend) at the inputs of docs/peers.md.
Needs jax, optax and keras:  python tools/peer_checks/check_jax_peers.py   (output in docs/peer-checks.txt)
"""
import os
os.environ.setdefault("KERAS_BACKEND", "jax")
import jax; jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp, optax, keras
print("jax", jax.__version__, "optax", optax.__version__, "keras", keras.__version__, "backend", keras.backend.backend())
REF = {(30,1): 2.0485031559971496e-40, (30,0): 22.499999999995859, (20,0): 14.999999939711257, (40,0): 30.0}
def opt(x, t, g, dt):
    f = lambda x: optax.sigmoid_focal_loss(x, jnp.asarray(t, dt), alpha=0.25, gamma=g)
    x = jnp.asarray(x, dt); return float(f(x)), float(jax.grad(f)(x))
def ker(x, t, g, dt):
    f = lambda x: keras.losses.binary_focal_crossentropy(jnp.asarray([t], dt), x[None], apply_class_balancing=True, alpha=0.25, gamma=g, from_logits=True)
    x = jnp.asarray(x, dt); return float(f(x)), float(jax.grad(f)(x))
for name, fn in [("optax", opt), ("keras", ker)]:
    for (x, t, dt) in [(30,1,jnp.float64),(30,0,jnp.float64),(20,0,jnp.float32),(40,0,jnp.float64)]:
        l, g = fn(x, t, 2.0, dt); r = REF[(x,t)]
        print(f"{name} {jnp.dtype(dt).name} x={x} t={t} g=2: loss={l!r} exact={r!r} relerr={abs(l-r)/r:.3g} grad={g!r}")
    for (x, t) in [(40,1),(-40,0),(1000,1)]:
        for g in (0.5, 0.0):
            l, gr = fn(x, t, g, jnp.float32)
            print(f"{name} float32 x={x} t={t} gamma={g}: loss={l!r} grad={gr!r}")
    # float16
    try:
        l, gr = fn(1.0, 1, 2.0, jnp.float16); print(f"{name} float16 x=1 t=1: loss={l!r} grad={gr!r}")
    except Exception as e: print(name, "float16 error", type(e).__name__, e)
# keras categorical focal: saturated row, gamma=0.5 and loss at [40,0,0] target 1 (hard example)
def cat(x, y, g, dt=jnp.float32, **kw):
    f = lambda x: keras.losses.categorical_focal_crossentropy(jnp.asarray(y, dt)[None], x[None], gamma=g, from_logits=True, **kw)[0]
    x = jnp.asarray(x, dt); return float(f(x)), jax.grad(f)(x).tolist()
print("keras cat f32 g=0.5 [40,0,0] y=e0:", cat([40.,0.,0.],[1.,0.,0.],0.5))
print("keras cat f64 g=0 [0,0,40] y=e0 (true CE=40):", cat([0.,0.,40.],[1.,0.,0.],0.0, jnp.float64, alpha=1.0))
print("keras cat alpha vector:", cat([1.,2.,3.],[1.,0.,0.],2.0, alpha=[0.1,0.2,0.3]))
# keras reductions
for red in ["none", "sum", "sum_over_batch_size", "mean", "mean_with_sample_weight"]:
    L = keras.losses.BinaryFocalCrossentropy(from_logits=True, reduction=red)
    print("keras reduction", red, L(jnp.array([[1.],[0.]]), jnp.array([[2.],[1.]]), sample_weight=jnp.array([1., 3.])))
