"""Gradient identities from The Matrix Cookbook (ch. 2) and everyday losses, each with a hand-written NumPy oracle.
Cookbook equation numbers are from the 2012 edition where known."""
import numpy as np
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Case:
    id: str                 # short unique id, e.g. "cb103_tr_AXB" (cookbook eq number if known)
    expr: str               # matcalc input expression (language below)
    wrt: str                # variable name as written in expr, e.g. "X", "x", "\\mu", "W_2"
    expected: Callable      # expected(v) -> gradient, v: dict name->numpy value (keys are the names as written in expr, e.g. "\\mu")
    declare: dict = field(default_factory=dict)   # optional kinds: {"a": "scalar"} or {"S": "symmetric"}; only when needed
    positive: bool = False  # True when the expression needs positive data (log/sqrt of entries, etc.)
    square: tuple = ()      # names that must be square (the harness infers this anyway; leave empty)


# ---------------------------------------------------------------------------
# Small oracle helpers (plain NumPy; no matcalc).
# ---------------------------------------------------------------------------

def _inv(M):
    return np.linalg.inv(M)


def _invT(M):
    return np.linalg.inv(M).T


def _det(M):
    return float(np.linalg.det(M))


def _sym(G):
    """Gradient w.r.t. a symmetric matrix: symmetric part of the unconstrained gradient."""
    return (G + G.T) / 2.0


def _cof(M):
    """Cofactor matrix C, C[i, j] = (-1)^(i+j) det(M without row i and column j).

    d det(M) = tr(C^T dM), so C is the gradient of det at M.  Computed from minors so
    it stays correct when M is singular (det(M) M^{-T} would not be defined there)."""
    n = M.shape[0]
    if n == 1:
        return np.ones((1, 1))
    C = np.empty_like(M, dtype=float)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(M, i, axis=0), j, axis=1)
            C[i, j] = (-1.0) ** (i + j) * np.linalg.det(minor)
    return C


def _mpow(M, k):
    return np.linalg.matrix_power(M, k)


def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def _nrm(x):
    return float(np.linalg.norm(x))


# ---------------------------------------------------------------------------
# Oracles that are a bit too long for a lambda.
# ---------------------------------------------------------------------------

def _g_tr_BtXtCXXtCXB(v):
    # Cookbook (123): d/dX tr(B^T X^T C X X^T C X B)
    X, B, C = v["X"], v["B"], v["C"]
    BBt = B @ B.T
    return (C @ X @ X.T @ C @ X @ BBt
            + C.T @ X @ BBt @ X.T @ C.T @ X
            + C @ X @ BBt @ X.T @ C @ X
            + C.T @ X @ X.T @ C.T @ X @ BBt)


def _g_tr_XtCX_inv_A(v):
    # Cookbook (125) written without assuming C symmetric:
    # f = tr(N^{-1} A), N = X^T C X;  K = N^{-1} A N^{-1};  G = -(C X K + C^T X K^T)
    X, A, C = v["X"], v["A"], v["C"]
    Ni = _inv(X.T @ C @ X)
    K = Ni @ A @ Ni
    return -(C @ X @ K + C.T @ X @ K.T)


def _g_tr_XtCX_inv_XtBX(v):
    # Cookbook (126) without assuming B, C symmetric:
    # f = tr(N^{-1} M), N = X^T C X, M = X^T B X
    # G = -(C X K + C^T X K^T) + (B X L + B^T X L^T), K = N^{-1} M N^{-1}, L = N^{-1}
    X, B, C = v["X"], v["B"], v["C"]
    Ni = _inv(X.T @ C @ X)
    M = X.T @ B @ X
    K = Ni @ M @ Ni
    return -(C @ X @ K + C.T @ X @ K.T) + (B @ X @ Ni + B.T @ X @ Ni.T)


def _g_det_XtAX(v):
    # Cookbook (52)-(54) in general (also valid for singular X^T A X):
    # d det(N) = tr(cof(N)^T dN),  N = X^T A X  ->  G = A X cof(N)^T + A^T X cof(N)
    X, A = v["X"], v["A"]
    C = _cof(X.T @ A @ X)
    return A @ X @ C.T + A.T @ X @ C


def _g_rayleigh(v):
    # f = x^T A x / (x^T x)
    x, A = v["x"], v["A"]
    s = float(x @ x)
    q = float(x @ A @ x) / s
    return ((A + A.T) @ x - 2.0 * q * x) / s


def _g_ratio_cb094(v):
    # Cookbook (94): f = (x^T A^T A x) / (x^T B^T B x)
    x, A, B = v["x"], v["A"], v["B"]
    num = float(x @ A.T @ A @ x)
    den = float(x @ B.T @ B @ x)
    return 2.0 * (A.T @ A @ x) / den - 2.0 * num * (B.T @ B @ x) / den ** 2


def _g_gauss_nll_Sigma(v):
    # f = 1/2 log|S| + 1/2 (x-mu)^T S^{-1} (x-mu), S symmetric
    S, x, mu = v["\\Sigma"], v["x"], v["\\mu"]
    Si = _inv(S)
    d = x - mu
    G = 0.5 * Si.T - 0.5 * Si.T @ np.outer(d, d) @ Si.T
    return _sym(G)


def _g_gauss_nll_Sigma_trS(v):
    # f = 1/2 log|Sigma| + 1/2 tr(Sigma^{-1} S), Sigma symmetric
    Sig, S = v["\\Sigma"], v["S"]
    Si = _inv(Sig)
    G = 0.5 * Si.T - 0.5 * Si.T @ S.T @ Si.T
    return _sym(G)


def _g_noise_sigma(v):
    # f = 1/(2 sigma^2) ||y - X w||^2 + log(sigma), derivative in scalar sigma
    s, X, w, y = v["\\sigma"], v["X"], v["w"], v["y"]
    r = float(np.sum((y - X @ w) ** 2))
    return float(-r / s ** 3 + 1.0 / s)


def _g_det_tr(v):
    # f = det(X) tr(X)
    X = v["X"]
    d = _det(X)
    return d * np.trace(X) * _invT(X) + d * np.eye(X.shape[0])


CASES = [
    # =====================================================================
    # Traces  (Cookbook 2.5, eqs 99-128)
    # =====================================================================
    Case("cb099_tr_X", "tr(X)", "X",
         lambda v: np.eye(v["X"].shape[0])),
    Case("cb100_tr_XA", "tr(XA)", "X",
         lambda v: v["A"].T),
    Case("cb101_tr_AXB", "tr(AXB)", "X",
         lambda v: v["A"].T @ v["B"].T),
    Case("cb102_tr_AXtB", "tr(A X^T B)", "X",
         lambda v: v["B"] @ v["A"]),
    Case("cb103_tr_XtA", "tr(X^T A)", "X",
         lambda v: v["A"]),
    Case("cb104_tr_AXt_prime", "tr(A X')", "X",
         lambda v: v["A"]),
    Case("seed_tr_AB_wrt_A", "tr(AB)", "A",
         lambda v: v["B"].T),
    Case("seed_tr_ABAtC_wrt_A", "tr(ABA^TC)", "A",
         lambda v: v["C"].T @ v["A"] @ v["B"].T + v["C"] @ v["A"] @ v["B"]),
    Case("cb106_tr_X2", "tr(X^2)", "X",
         lambda v: 2.0 * v["X"].T),
    Case("cb107_tr_X2B", "tr(X^2 B)", "X",
         lambda v: (v["X"] @ v["B"] + v["B"] @ v["X"]).T),
    Case("cb108_tr_XtBX", "tr(X^T B X)", "X",
         lambda v: v["B"] @ v["X"] + v["B"].T @ v["X"]),
    Case("cb109_tr_BXXt", "tr(B X X^T)", "X",
         lambda v: v["B"] @ v["X"] + v["B"].T @ v["X"]),
    Case("cb110_tr_XXtB", "tr(X X^T B)", "X",
         lambda v: v["B"] @ v["X"] + v["B"].T @ v["X"]),
    Case("cb111_tr_XBXt", "tr(X B X^T)", "X",
         lambda v: v["X"] @ v["B"].T + v["X"] @ v["B"]),
    Case("cb112_tr_BXtX", "tr(B X^T X)", "X",
         lambda v: v["X"] @ v["B"].T + v["X"] @ v["B"]),
    Case("cb113_tr_XtXB", "tr(X^T X B)", "X",
         lambda v: v["X"] @ v["B"].T + v["X"] @ v["B"]),
    Case("cb114_tr_AXBX", "tr(A X B X)", "X",
         lambda v: v["A"].T @ v["X"].T @ v["B"].T + v["B"].T @ v["X"].T @ v["A"].T),
    Case("cb115_tr_XtX", "tr(X^T X)", "X",
         lambda v: 2.0 * v["X"]),
    Case("cb115_tr_XXt", "tr(X X^T)", "X",
         lambda v: 2.0 * v["X"]),
    Case("cb116_tr_BtXtCXB", "tr(B^T X^T C X B)", "X",
         lambda v: v["C"].T @ v["X"] @ v["B"] @ v["B"].T + v["C"] @ v["X"] @ v["B"] @ v["B"].T),
    Case("cb117_tr_XtBXC", "tr(X^T B X C)", "X",
         lambda v: v["B"] @ v["X"] @ v["C"] + v["B"].T @ v["X"] @ v["C"].T),
    Case("cb118_tr_AXBXtC", "tr(A X B X^T C)", "X",
         lambda v: v["A"].T @ v["C"].T @ v["X"] @ v["B"].T + v["C"] @ v["A"] @ v["X"] @ v["B"]),
    Case("cb119_tr_AXBpC_sq", "tr((A X B + C)(A X B + C)^T)", "X",
         lambda v: 2.0 * v["A"].T @ (v["A"] @ v["X"] @ v["B"] + v["C"]) @ v["B"].T),
    Case("cb120_trX_trX", "tr(X) tr(X)", "X",
         lambda v: 2.0 * np.trace(v["X"]) * np.eye(v["X"].shape[0])),
    Case("cb121_tr_X3", "tr(X^3)", "X",
         lambda v: 3.0 * _mpow(v["X"], 2).T),
    Case("cb121_tr_X4_braced", "tr(X^{4})", "X",
         lambda v: 4.0 * _mpow(v["X"], 3).T),
    Case("cb122_tr_AX3", "tr(A X^3)", "X",
         lambda v: sum((_mpow(v["X"], r) @ v["A"] @ _mpow(v["X"], 2 - r)).T for r in range(3))),
    Case("cb123_tr_BtXtCXXtCXB", "tr(B^T X^T C X X^T C X B)", "X",
         _g_tr_BtXtCXXtCXB),
    Case("cb124_tr_A_invX_B", "tr(A inv(X) B)", "X",
         lambda v: -_invT(v["X"]) @ v["A"].T @ v["B"].T @ _invT(v["X"])),
    Case("cb125_tr_XtCXinv_A", "tr((X^T C X)^{-1} A)", "X",
         _g_tr_XtCX_inv_A),
    Case("cb126_tr_XtCXinv_XtBX", "tr((X^T C X)^{-1} (X^T B X))", "X",
         _g_tr_XtCX_inv_XtBX),
    # sin is ELEMENTWISE in matcalc, so tr(sin(X)) = sum_i sin(X_ii); the Cookbook's (128)
    # cos(X)^T is for the matrix function and does not apply here.
    Case("elem_tr_sinX", "tr(sin(X))", "X",
         lambda v: np.diag(np.cos(np.diag(v["X"])))),
    Case("tr_aA_wrt_A", "tr(aA)", "A",
         lambda v: v["a"] * np.eye(v["A"].shape[0])),
    Case("tr_aA_wrt_a", "tr(aA)", "a",
         lambda v: float(np.trace(v["A"]))),
    Case("tr_half_XtX_frac", "\\frac{1}{2} tr(X^T X)", "X",
         lambda v: v["X"]),
    Case("tr_2XtA_scaled", "tr(2X^T A)", "X",
         lambda v: 2.0 * v["A"]),
    Case("tr_XtX_minus_AXB", "tr(X^T X) - 3 tr(A X B)", "X",
         lambda v: 2.0 * v["X"] - 3.0 * v["A"].T @ v["B"].T),

    # =====================================================================
    # Determinants and log-determinants  (Cookbook 2.1, eqs 49-58, 62)
    # =====================================================================
    Case("seed_absdet_A", "|A|", "A",
         lambda v: _det(v["A"]) * _invT(v["A"])),
    Case("cb049_det_X", "det(X)", "X",
         lambda v: _det(v["X"]) * _invT(v["X"])),
    Case("cb051_det_AXB", "det(A X B)", "X",
         lambda v: v["A"].T @ _cof(v["A"] @ v["X"] @ v["B"]) @ v["B"].T),
    Case("cb054_det_XtAX", "det(X^T A X)", "X",
         _g_det_XtAX),
    Case("cb055_logdet_XtX", "\\log|X^T X|", "X",
         lambda v: 2.0 * v["X"] @ _inv(v["X"].T @ v["X"])),
    Case("cb057_log_absdet_X", "\\log|X|", "X",
         lambda v: _invT(v["X"])),
    Case("cb057_logdet_X_noparen", "log det X", "X",
         lambda v: _invT(v["X"])),
    Case("cb058_det_X3", "det(X^3)", "X",
         lambda v: 3.0 * _det(_mpow(v["X"], 3)) * _invT(v["X"])),
    Case("cb062_det_Xinv", "det(X^{-1})", "X",
         lambda v: -_det(_inv(v["X"])) * _invT(v["X"])),
    Case("det_X_squared", "det(X)^2", "X",
         lambda v: 2.0 * _det(v["X"]) ** 2 * _invT(v["X"])),
    # log det(A X B) with independent random non-square A, B has a determinant of random sign,
    # so use A X A^T: with square X near a scaled identity (positive-definite symmetric part)
    # and A wide (rows <= cols), det(A X A^T) > 0.
    Case("logdet_AXAt", "logdet(A X A^T)", "X",
         lambda v: v["A"].T @ _invT(v["A"] @ v["X"] @ v["A"].T) @ v["A"]),
    Case("logdet_I_plus_XtX", "logdet(I + X^T X)", "X",
         lambda v: 2.0 * v["X"] @ _inv(np.eye(v["X"].shape[1]) + v["X"].T @ v["X"])),
    Case("det_2X", "det(2X)", "X",
         lambda v: _det(2.0 * v["X"]) * _invT(v["X"])),
    Case("det_Xt", "det(X^T)", "X",
         lambda v: _det(v["X"]) * _invT(v["X"])),
    Case("det_X_times_tr_X", "det(X) tr(X)", "X",
         _g_det_tr),
    Case("sym_logdet_Sigma", "\\log|\\Sigma|", "\\Sigma",
         lambda v: _sym(_invT(v["\\Sigma"])),
         declare={"\\Sigma": "symmetric"}),
    Case("precision_mle_Theta", "tr(S\\Theta) - \\log|\\Theta|", "\\Theta",
         lambda v: _sym(v["S"].T - _invT(v["\\Theta"])),
         declare={"\\Theta": "symmetric"}),

    # =====================================================================
    # Inverses  (Cookbook 2.2, eqs 61-64)
    # =====================================================================
    Case("cb061_aT_Xinv_b", "a^T X^{-1} b", "X",
         lambda v: -_invT(v["X"]) @ np.outer(v["a"], v["b"]) @ _invT(v["X"])),
    Case("cb063_tr_AXinvB", "tr(A X^{-1} B)", "X",
         lambda v: -(_inv(v["X"]) @ v["B"] @ v["A"] @ _inv(v["X"])).T),
    Case("cb064_tr_XplusA_inv", "tr((X + A)^{-1})", "X",
         lambda v: -(_inv(v["X"] + v["A"]) @ _inv(v["X"] + v["A"])).T),
    Case("tr_Xinv", "tr(X^{-1})", "X",
         lambda v: -(_inv(v["X"]) @ _inv(v["X"])).T),
    Case("aT_XinvT_b", "a^T X^{-T} b", "X",
         lambda v: -_invT(v["X"]) @ np.outer(v["b"], v["a"]) @ _invT(v["X"])),
    Case("tr_A_XinvT", "tr(A X^{-T})", "X",
         lambda v: -_invT(v["X"]) @ v["A"] @ _invT(v["X"])),
    Case("xT_Ainv_x_wrt_A", "x^T A^{-1} x", "A",
         lambda v: -_invT(v["A"]) @ np.outer(v["x"], v["x"]) @ _invT(v["A"])),
    Case("tr_Xinv_A_Xinv", "tr(X^{-1} A X^{-1})", "X",
         lambda v: -(_inv(v["X"]) @ v["A"] @ _mpow(_inv(v["X"]), 2)
                     + _mpow(_inv(v["X"]), 2) @ v["A"] @ _inv(v["X"])).T),
    Case("tr_inv_I_plus_XtX", "tr((I + X^T X)^{-1})", "X",
         lambda v: -2.0 * v["X"] @ _mpow(_inv(np.eye(v["X"].shape[1]) + v["X"].T @ v["X"]), 2)),
    Case("muT_Sigmainv_mu", "\\mu^T \\Sigma^{-1} \\mu", "\\mu",
         lambda v: (_inv(v["\\Sigma"]) + _invT(v["\\Sigma"])) @ v["\\mu"]),

    # =====================================================================
    # Linear and quadratic forms  (Cookbook 2.4, eqs 69-97)
    # =====================================================================
    Case("cb069_xTa", "x^T a", "x",
         lambda v: v["a"].copy()),
    Case("cb069_aTx", "a^T x", "x",
         lambda v: v["a"].copy()),
    Case("cb070_aTXb", "a^T X b", "X",
         lambda v: np.outer(v["a"], v["b"])),
    Case("cb071_aTXTb", "a^T X^T b", "X",
         lambda v: np.outer(v["b"], v["a"])),
    Case("cb072_aTXa", "a^T X a", "X",
         lambda v: np.outer(v["a"], v["a"])),
    Case("cb077_bTXTXc", "b^T X^T X c", "X",
         lambda v: v["X"] @ (np.outer(v["b"], v["c"]) + np.outer(v["c"], v["b"]))),
    Case("cb078_BxbCDxd", "(B x + b)^T C (D x + d)", "x",
         lambda v: v["B"].T @ v["C"] @ (v["D"] @ v["x"] + v["d"])
         + v["D"].T @ v["C"].T @ (v["B"] @ v["x"] + v["b"])),
    Case("cb081_xTBx", "x^T B x", "x",
         lambda v: (v["B"] + v["B"].T) @ v["x"]),
    Case("seed_muTAmu", "\\mu^TA\\mu", "\\mu",
         lambda v: v["A"] @ v["\\mu"] + v["A"].T @ v["\\mu"]),
    Case("cb082_bTXTDXc", "b^T X^T D X c", "X",
         lambda v: v["D"].T @ v["X"] @ np.outer(v["b"], v["c"]) + v["D"] @ v["X"] @ np.outer(v["c"], v["b"])),
    Case("cb082_aTXTDXb", "a^T X^T D X b", "X",
         lambda v: v["D"].T @ v["X"] @ np.outer(v["a"], v["b"]) + v["D"] @ v["X"] @ np.outer(v["b"], v["a"])),
    Case("cb083_XbcDXbc", "(X b + c)^T D (X b + c)", "X",
         lambda v: np.outer((v["D"] + v["D"].T) @ (v["X"] @ v["b"] + v["c"]), v["b"])),
    Case("cb084_xAsWxAs_wrt_s", "(x - A s)^T W (x - A s)", "s",
         lambda v: -v["A"].T @ (v["W"] + v["W"].T) @ (v["x"] - v["A"] @ v["s"])),
    Case("cb085_xsWxs_wrt_x", "(x - s)^T W (x - s)", "x",
         lambda v: (v["W"] + v["W"].T) @ (v["x"] - v["s"])),
    Case("cb087_xAsWxAs_wrt_x", "(x - A s)^T W (x - A s)", "x",
         lambda v: (v["W"] + v["W"].T) @ (v["x"] - v["A"] @ v["s"])),
    Case("cb088_xAsWxAs_wrt_A", "(x - A s)^T W (x - A s)", "A",
         lambda v: -np.outer((v["W"] + v["W"].T) @ (v["x"] - v["A"] @ v["s"]), v["s"])),
    Case("cb091_aTX2b", "a^T X^2 b", "X",
         lambda v: np.outer(v["a"], v["b"]) @ v["X"].T + v["X"].T @ np.outer(v["a"], v["b"])),
    Case("cb094_ratio_AxBx", "\\frac{x^T A^T A x}{x^T B^T B x}", "x",
         _g_ratio_cb094),
    Case("cb096_xTAx_plus_bTx", "x^T A x + b^T x", "x",
         lambda v: (v["A"] + v["A"].T) @ v["x"] + v["b"]),
    Case("half_xTAx", "0.5 x^T A x", "x",
         lambda v: 0.5 * (v["A"] + v["A"].T) @ v["x"]),
    Case("xTx", "x^T x", "x",
         lambda v: 2.0 * v["x"]),
    Case("subscript_xiT_W2_xi", "x_{i}^T W_2 x_{i}", "x_{i}",
         lambda v: (v["W_2"] + v["W_2"].T) @ v["x_{i}"]),
    Case("subscript_yT_W2W1x_wrt_W1", "y^T W_2 W_1 x", "W_1",
         lambda v: np.outer(v["W_2"].T @ v["y"], v["x"])),
    Case("rayleigh_quotient", "x^T A x / (x^T x)", "x",
         _g_rayleigh),
    Case("scalar_a_xTx_wrt_a", "a x^T x", "a",
         lambda v: float(v["x"] @ v["x"]),
         declare={"a": "scalar"}),

    # =====================================================================
    # Norms  (Cookbook 2.6-2.7, eqs 129-132)
    # =====================================================================
    Case("cb129_norm_x_minus_a", "\\|x - a\\|", "x",
         lambda v: (v["x"] - v["a"]) / _nrm(v["x"] - v["a"])),
    Case("norm_x", "\\|x\\|", "x",
         lambda v: v["x"] / _nrm(v["x"])),
    Case("cb131_norm_x_sq", "\\|x\\|^2", "x",
         lambda v: 2.0 * v["x"]),
    Case("cb132_frob_sq", "\\|X\\|_F^2", "X",
         lambda v: 2.0 * v["X"]),
    Case("frob", "\\|X\\|_F", "X",
         lambda v: v["X"] / _nrm(v["X"])),
    Case("norm_Axb_sq_wrt_x", "\\|A x - b\\|^2", "x",
         lambda v: 2.0 * v["A"].T @ (v["A"] @ v["x"] - v["b"])),
    Case("norm_Axb_sq_wrt_A", "\\|A x - b\\|^2", "A",
         lambda v: 2.0 * np.outer(v["A"] @ v["x"] - v["b"], v["x"])),
    Case("frob_XAmB_sq", "\\|X A - B\\|_F^2", "X",
         lambda v: 2.0 * (v["X"] @ v["A"] - v["B"]) @ v["A"].T),
    Case("frob_AXBmC_sq", "\\|A X B - C\\|_F^2", "X",
         lambda v: 2.0 * v["A"].T @ (v["A"] @ v["X"] @ v["B"] - v["C"]) @ v["B"].T),
    Case("frob_XmI_sq", "\\|X - I\\|_F^2", "X",
         lambda v: 2.0 * (v["X"] - np.eye(v["X"].shape[0]))),
    Case("sqrt_power_xTx", "(x^T x)^{1/2}", "x",
         lambda v: v["x"] / _nrm(v["x"])),
    Case("norm_x_cubed", "\\|x\\|^3", "x",
         lambda v: 3.0 * _nrm(v["x"]) * v["x"]),

    # =====================================================================
    # Everyday losses and elementwise functions
    # =====================================================================
    Case("loss_least_squares_half", "\\frac{1}{2}\\|X w - y\\|^2", "w",
         lambda v: v["X"].T @ (v["X"] @ v["w"] - v["y"])),
    Case("loss_ridge", "\\lambda\\|w\\|^2 + \\|Xw - y\\|^2", "w",
         lambda v: 2.0 * v["\\lambda"] * v["w"] + 2.0 * v["X"].T @ (v["X"] @ v["w"] - v["y"])),
    Case("loss_ridge_matrix", "\\|X W - Y\\|_F^2 + \\lambda \\|W\\|_F^2", "W",
         lambda v: 2.0 * v["X"].T @ (v["X"] @ v["W"] - v["Y"]) + 2.0 * v["\\lambda"] * v["W"],
         declare={"\\lambda": "scalar"}),
    Case("loss_gauss_nll_wrt_mu",
         "\\frac{1}{2}\\log|\\Sigma| + \\frac{1}{2}(x-\\mu)^T \\Sigma^{-1}(x-\\mu)", "\\mu",
         lambda v: -0.5 * (_inv(v["\\Sigma"]) + _invT(v["\\Sigma"])) @ (v["x"] - v["\\mu"])),
    Case("loss_gauss_nll_wrt_Sigma",
         "\\frac{1}{2}\\log|\\Sigma| + \\frac{1}{2}(x-\\mu)^T \\Sigma^{-1}(x-\\mu)", "\\Sigma",
         _g_gauss_nll_Sigma,
         declare={"\\Sigma": "symmetric"}),
    Case("loss_gauss_nll_trace_wrt_Sigma",
         "\\frac{1}{2}\\log|\\Sigma| + \\frac{1}{2}tr(\\Sigma^{-1} S)", "\\Sigma",
         _g_gauss_nll_Sigma_trS,
         declare={"\\Sigma": "symmetric"}),
    Case("loss_gauss_noise_scale_sigma",
         "\\frac{1}{2\\sigma^2}\\|y - X w\\|^2 + log(\\sigma)", "\\sigma",
         _g_noise_sigma, positive=True),
    Case("loss_logsumexp", "log(sum(exp(x)))", "x",
         lambda v: _softmax(v["x"])),
    Case("loss_logsumexp_Wx", "log(sum(exp(W x)))", "W",
         lambda v: np.outer(_softmax(v["W"] @ v["x"]), v["x"])),
    Case("loss_softmax_xent", "log(sum(exp(W x))) - y^T W x", "W",
         lambda v: np.outer(_softmax(v["W"] @ v["x"]) - v["y"], v["x"])),
    Case("loss_logistic_softplus", "log(1 + exp(a^T x))", "x",
         lambda v: _sigmoid(float(v["a"] @ v["x"])) * v["a"]),
    Case("sum_log_x", "sum(log(x))", "x",
         lambda v: 1.0 / v["x"], positive=True),
    Case("sum_log_X", "sum(log(X))", "X",
         lambda v: 1.0 / v["X"], positive=True),
    Case("sum_exp_X", "sum(exp(X))", "X",
         lambda v: np.exp(v["X"])),
    Case("sum_exp_AX", "sum(exp(A X))", "X",
         lambda v: v["A"].T @ np.exp(v["A"] @ v["X"])),
    Case("sum_log_AX", "sum(log(A X))", "X",
         lambda v: v["A"].T @ (1.0 / (v["A"] @ v["X"])), positive=True),
    Case("elem_tr_tanhX", "tr(tanh(X))", "X",
         lambda v: np.diag(1.0 - np.tanh(np.diag(v["X"])) ** 2)),
    Case("sum_tanh_Wx", "sum(tanh(W x))", "W",
         lambda v: np.outer(1.0 - np.tanh(v["W"] @ v["x"]) ** 2, v["x"])),
    Case("sum_X_had_X", "sum(X .* X)", "X",
         lambda v: 2.0 * v["X"]),
    Case("sum_A_had_X_odot", "sum(A \\odot X)", "X",
         lambda v: v["A"].copy()),
    Case("aT_X_odot_B_c", "a^T (X \\odot B) c", "X",
         lambda v: v["B"] * np.outer(v["a"], v["c"])),
    Case("xT_a_had_x", "x^T (a .* x)", "x",
         lambda v: 2.0 * v["a"] * v["x"]),
    Case("sum_sin_x", "sum(sin(x))", "x",
         lambda v: np.cos(v["x"])),
    Case("sum_cos_X", "sum(cos(X))", "X",
         lambda v: -np.sin(v["X"])),
    Case("aT_sin_x", "a^T sin(x)", "x",
         lambda v: v["a"] * np.cos(v["x"])),
    Case("log_xTAx", "log(x^T A x)", "x",
         lambda v: (v["A"] + v["A"].T) @ v["x"] / float(v["x"] @ v["A"] @ v["x"]), positive=True),
    Case("sqrt_xTx", "sqrt(x^T x)", "x",
         lambda v: v["x"] / _nrm(v["x"])),
    Case("sum_sqrt_X", "sum(sqrt(X))", "X",
         lambda v: 0.5 / np.sqrt(v["X"]), positive=True),
    Case("sum_X_eldiv_A", "sum(X ./ A)", "X",
         lambda v: 1.0 / v["A"], positive=True),
    Case("sum_A_eldiv_X", "sum(A ./ X)", "X",
         lambda v: -v["A"] / v["X"] ** 2, positive=True),
    Case("sum_x_eldiv_y_wrt_y", "sum(x ./ y)", "y",
         lambda v: -v["x"] / v["y"] ** 2, positive=True),
    Case("sum_X", "sum(X)", "X",
         lambda v: np.ones_like(v["X"])),
    Case("sum_AXB", "sum(A X B)", "X",
         lambda v: np.outer(v["A"].sum(axis=0), v["B"].sum(axis=1))),
    Case("reg_frob_half_lambda", "\\frac{\\lambda}{2}\\|W\\|_F^2", "W",
         lambda v: v["\\lambda"] * v["W"]),
    Case("two_layer_linear_wrt_W_1", "\\frac{1}{2}\\|W_2 W_1 x - y\\|^2", "W_1",
         lambda v: np.outer(v["W_2"].T @ (v["W_2"] @ v["W_1"] @ v["x"] - v["y"]), v["x"])),
    Case("two_layer_linear_wrt_W_2", "\\frac{1}{2}\\|W_2 W_1 x - y\\|^2", "W_2",
         lambda v: np.outer(v["W_2"] @ v["W_1"] @ v["x"] - v["y"], v["W_1"] @ v["x"])),
]
