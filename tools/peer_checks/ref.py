"""Exact values (mpmath) of the sigmoid focal loss at the inputs of docs/peers.md (alpha 0.25, gamma 2).
    python3 tools/peer_checks/ref.py
"""
import mpmath as mp
mp.mp.dps = 60
def sig_ref(x, t, alpha=0.25, gamma=2.0):
    x = mp.mpf(x); p = 1/(1+mp.e**(-x))
    pt = p if t == 1 else 1-p
    at = alpha if t == 1 else 1-alpha
    return at * (1-pt)**gamma * (-mp.log(pt))
for x, t in [(30,1),(30,0),(20,0),(20,1),(-30,0),(40,0)]:
    print(x, t, mp.nstr(sig_ref(x,t), 17))
