r"""Machine-learning and statistics objectives as papers write them (issue 13), each with an
independent NumPy objective, a hand-written NumPy gradient or Hessian, and the textbook form of
the answer in matcalc's own text language.

Nothing here imports matcalc: the objective `f(v)` lets tests take central finite differences
without trusting matcalc's evaluator, and `oracle(v)` is the answer as the textbook derives it.
`v` maps each name *as written in expr* ("X", "w", "\\Sigma_1", "\\lambda", "W_2") to a NumPy
value: vectors 1-D, scalars floats, matrices 2-D.

Sizes (`SIZES`) are distinct, so no free matrix is square by accident: n samples, d features,
k classes or outputs, h hidden units, m rows and r the rank of a factorisation.

Counting the size of a form (`variable_occurrences`): the number of variable-name tokens in a
string of matcalc's text language. A variable is a single Latin letter, possibly followed by digits
or a subscript (`W_2`, `x_{12}`, `W1`), or a Greek letter command (`\mu`, `\Sigma_1`). Not counted:
- function words: any run of two or more letters (tr, log, exp, diag, sum, softmax, relu, ones,
  kron, ...), `\operatorname{..}`, `\mathrm{..}`, `\text{..}`, and other LaTeX commands (`\log`,
  `\frac`, `\odot`, ...); `\sigma` directly followed by `(` (the logistic function); the `e` of
  `e^{..}` (the exponential);
- constants: `\mathbf{1}`, `\mathbb{1}`, `\mathbf{1}_n`, the identity `I`, numbers;
- exponents without letters (`^T`, `^{-1}`, `^{-T}`, `^2`, `.^2`; the names in `e^{X w}` or
  `X^{k-1}` do count), and the subscript of a norm (`\|X\|_F`, `\|w\|_2`).
So `X^T (\sigma(X w) - y)` has size 4 and
`(1/2) (\Sigma^{-1} - \Sigma^{-1} (x - \mu) (x - \mu)^T \Sigma^{-1})` has size 7.

xfail fields: `xfail_value` and `xfail_form` hold the reason ("issue 13: vocabulary (...)" when
matcalc refuses or misreads a word of the input today, "issue 13: form" when the value is right but
the result is more than 1.5x the textbook's size). Remove one when its test starts to pass (the marks
are strict, so a passing test fails loudly).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

SIZES = {"n": 7, "d": 4, "k": 3, "h": 5, "m": 6, "r": 2}

VOCAB = "issue 13: vocabulary"
FORM = "issue 13: form"


def refused(what: str) -> dict:
    """Marks for a case matcalc refuses or misreads today: `what` names the missing vocabulary."""
    reason = f"{VOCAB} ({what})"
    return {"xfail_value": reason, "xfail_form": reason}


LONG = {"xfail_form": FORM}   # the value is right, the form more than 1.5x the textbook's


# ---------------------------------------------------------------------------
# Counting variable occurrences in matcalc's text language.
# ---------------------------------------------------------------------------

GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda
    mu nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta
    Lambda Xi Pi Sigma Upsilon Phi Psi Omega""".split())

_SUBSCRIPT = r"(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?"
_TOKENS = re.compile(rf"""
    (?P<skip>
        \^(?:T|\\top|[0-9]|\{{-?(?:T|\\top)\}}|\{{[-+0-9./ ]*\}})   # ^T ^{{-1}} ^{{-T}} ^2 (also .^2); letters
                                                          # in an exponent (e^{{X w}}, X^{{k-1}}) count
      | \\\|_(?:\{{[^{{}}]*\}}|\w)                        # the subscript of a norm: \|X\|_F, \|w\|_2
      | \\(?:operatorname|mathrm|text)\{{[^{{}}]*\}}          # function words
      | \\(?:mathbf|mathbb)\{{[^{{}}]*\}}{_SUBSCRIPT}          # 𝟏, 𝟏_n
      | \be(?=\^)                                         # e^{{...}}, the exponential
    )
  | (?P<command>\\[A-Za-z]+){_SUBSCRIPT}(?P<call>\()?
  | (?P<word>[A-Za-z]+)[0-9]*{_SUBSCRIPT}
""", re.X)

# Function words a textbook form may use (a typo such as `Xw` for `X w` is caught by a test).
FUNCTION_WORDS = frozenset("""tr log exp sqrt diag sum softmax sigmoid relu tanh sign ones kron vec
    softplus logsumexp LSE det inv max""".split())


def variable_occurrences(text: str) -> int:
    """The number of variable-name tokens in `text` (matcalc's text language); see the module doc."""
    count = 0
    for m in _TOKENS.finditer(text):
        if m["command"]:
            name = m["command"][1:]
            if name in GREEK and not (name == "sigma" and m["call"]):
                count += 1
        elif m["word"]:
            if len(m["word"]) == 1 and m["word"] != "I":
                count += 1
    return count


def words(text: str) -> set[str]:
    """Runs of two or more letters that are not inside a LaTeX command (function words)."""
    out = set()
    for m in _TOKENS.finditer(text):
        if m["word"] and len(m["word"]) > 1:
            out.add(m["word"])
    return out


# ---------------------------------------------------------------------------
# The corpus.
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MLCase:
    id: str
    topic: str              # e.g. "logistic regression"; tests check the list is covered
    expr: str               # as a paper writes it
    wrt: str                # name as written in expr
    shapes: dict            # name as written -> dimension letters of SIZES: "nd" matrix, "d" vector, "" scalar
    f: Callable             # the objective in NumPy, f(v) -> float
    oracle: Callable        # the gradient (shaped like wrt) or the Hessian (a d×d array, wrt a vector)
    textbook: str           # the textbook form of the answer, in matcalc's text language
    kind: str = "gradient"  # or "hessian"
    declare: dict = field(default_factory=dict)   # kinds, only where needed; symmetric data is SPD
    positive: bool = False  # all data positive (log, ./ of data)
    prepare: Callable | None = None   # v -> v, to put data in the objective's domain
    xfail_value: str | None = None
    xfail_form: str | None = None

    @property
    def textbook_size(self) -> int:
        return variable_occurrences(self.textbook)

    @property
    def symmetric(self) -> tuple:
        return tuple(n for n, k in self.declare.items() if k == "symmetric")


# Small NumPy helpers (no matcalc).
inv = np.linalg.inv


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def lse(z):
    m = np.max(z)
    return float(m + np.log(np.sum(np.exp(z - m))))


def logdet(M):
    sign, value = np.linalg.slogdet(M)
    assert sign > 0, "log det of a matrix with non-positive determinant"
    return float(value)


def sq(r):
    return float(np.sum(np.asarray(r) ** 2))


def relu(z):
    return np.maximum(z, 0.0)


def step(z):
    return (z > 0).astype(float)


# --- shapes used by several cases --------------------------------------------
LS = {"X": "nd", "w": "d", "y": "n"}
RIDGE = {**LS, "\\lambda": ""}
MULTI = {"X": "nd", "W": "dk", "Y": "nk"}
SOFTMAX = {"W": "kd", "x": "d", "y": "k"}
GAUSS = {"x": "d", "\\mu": "d", "\\Sigma": "dd"}
KL = {"\\mu_1": "d", "\\mu_2": "d", "\\Sigma_1": "dd", "\\Sigma_2": "dd"}
KL_SYM = {"\\Sigma_1": "symmetric", "\\Sigma_2": "symmetric"}
MF = {"X": "mn", "W": "mr", "H": "rn"}
NET = {"x": "d", "W_1": "hd", "W_2": "kh", "y": "k"}


# --- objectives and gradients used by several cases ---------------------------
def f_logreg(v):
    s = sig(v["X"] @ v["w"])
    return float(-(v["y"] @ np.log(s) + (1 - v["y"]) @ np.log(1 - s)))


def g_logreg(v):
    return v["X"].T @ (sig(v["X"] @ v["w"]) - v["y"])


def h_logreg(v):
    s = sig(v["X"] @ v["w"])
    return v["X"].T @ np.diag(s * (1 - s)) @ v["X"]


def f_logreg_pm(v):
    return float(np.sum(np.log(1 + np.exp(-v["y"] * (v["X"] @ v["w"])))))


def g_logreg_pm(v):
    return -v["X"].T @ (v["y"] * sig(-v["y"] * (v["X"] @ v["w"])))


def f_softmax_ce(v):
    return float(-v["y"] @ np.log(softmax(v["W"] @ v["x"])))


def g_softmax_ce(v):
    return np.outer(v["y"].sum() * softmax(v["W"] @ v["x"]) - v["y"], v["x"])


def h_softmax_ce_x(v):
    s = softmax(v["W"] @ v["x"])
    return v["y"].sum() * v["W"].T @ (np.diag(s) - np.outer(s, s)) @ v["W"]


def f_lse_reg(v):
    return lse(v["W"] @ v["x"]) - float(v["y"] @ v["W"] @ v["x"])


def g_lse_reg(v):
    return np.outer(softmax(v["W"] @ v["x"]) - v["y"], v["x"])


def f_gauss_nll(v):
    r = v["x"] - v["\\mu"]
    return 0.5 * logdet(v["\\Sigma"]) + 0.5 * float(r @ inv(v["\\Sigma"]) @ r)


def f_kl(v):
    S1, S2, d = v["\\Sigma_1"], v["\\Sigma_2"], v["\\mu_2"] - v["\\mu_1"]
    return 0.5 * (np.trace(inv(S2) @ S1) + float(d @ inv(S2) @ d) + logdet(S2) - logdet(S1))


def g_kl_Sigma2(v):
    S1, S2, d = v["\\Sigma_1"], v["\\Sigma_2"], v["\\mu_2"] - v["\\mu_1"]
    Si = inv(S2)
    return 0.5 * (Si - Si @ (S1 + np.outer(d, d)) @ Si)


def f_gp(v):
    return 0.5 * float(v["y"] @ inv(v["K"]) @ v["y"]) + 0.5 * logdet(v["K"])


def f_gp_noise(v):
    C = v["K"] + v["\\eta"] * np.eye(len(v["y"]))
    return 0.5 * float(v["y"] @ inv(C) @ v["y"]) + 0.5 * logdet(C)


def f_mf(v):
    return sq(v["X"] - v["W"] @ v["H"])


def f_nmf_kl(v):
    X, P = v["X"], v["W"] @ v["H"]
    return float(np.sum(X * np.log(X / P) - X + P))


def f_nmf_is(v):
    R = v["X"] / (v["W"] @ v["H"])
    return float(np.sum(R - np.log(R)))


def f_net_tanh(v):
    return sq(v["W_2"] @ np.tanh(v["W_1"] @ v["x"]) - v["y"])


def f_net_relu(v):
    return 0.5 * sq(v["W_2"] @ relu(v["W_1"] @ v["x"]) - v["y"])


def g_net_relu_W1(v):
    z = v["W_1"] @ v["x"]
    r = v["W_2"] @ relu(z) - v["y"]
    return np.outer(step(z) * (v["W_2"].T @ r), v["x"])


def g_net_relu_W2(v):
    a = relu(v["W_1"] @ v["x"])
    return np.outer(v["W_2"] @ a - v["y"], a)


def f_net_sig(v):
    return sq(v["W_2"] @ sig(v["W_1"] @ v["x"]) - v["y"])


def g_net_sig_W1(v):
    s = sig(v["W_1"] @ v["x"])
    return 2 * np.outer(s * (1 - s) * (v["W_2"].T @ (v["W_2"] @ s - v["y"])), v["x"])


def f_lse_x(v):
    return lse(v["x"])


def h_lse_x(v):
    s = softmax(v["x"])
    return np.diag(s) - np.outer(s, s)


def _lp_domain(v):
    """b - A x > 0 for the log barrier of a linear program."""
    return {**v, "b": v["A"] @ v["x"] + 0.5 + np.abs(v["b"])}


LOGREG_SIGMA = r"-(y^T \log(\sigma(Xw)) + (1 - y)^T \log(1 - \sigma(Xw)))"
LOGREG_EXP = r"-(y^T \log(1 ./ (1 + \exp(-Xw))) + (1 - y)^T \log(1 - 1 ./ (1 + \exp(-Xw))))"
LOGREG_SOFTPLUS = r"\mathbf{1}^T \log(1 + \exp(Xw)) - y^T X w"
GAUSS_NLL = r"\frac{1}{2}\log\det\Sigma + \frac{1}{2}(x - \mu)^T \Sigma^{-1} (x - \mu)"
KL_GAUSS = (r"\frac{1}{2}\left(\operatorname{tr}(\Sigma_2^{-1}\Sigma_1) + (\mu_2 - \mu_1)^T \Sigma_2^{-1} (\mu_2 - \mu_1)"
            r" + \log\det\Sigma_2 - \log\det\Sigma_1\right)")
GP_NOISE = r"\frac{1}{2} y^T (K + \eta I)^{-1} y + \frac{1}{2}\log\det(K + \eta I)"
NMF_KL = r"\operatorname{sum}(X \odot \log(X ./ (WH)) - X + WH)"

TB_LOGREG = r"X^T (\sigma(X w) - y)"
TB_LOGREG_H = r"X^T diag(\sigma(X w) .* (1 - \sigma(X w))) X"
TB_SOFTMAX_CE = r"(sum(y) softmax(W x) - y) x^T"
TB_SOFTMAX_CE_H = r"sum(y) W^T (diag(softmax(W x)) - softmax(W x) softmax(W x)^T) W"

CASES = [
    # =====================================================================
    # Least squares
    # =====================================================================
    MLCase("ls", "least squares", r"\|Xw - y\|^2", "w", LS,
           lambda v: sq(v["X"] @ v["w"] - v["y"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["w"] - v["y"]),
           r"2 X^T (X w - y)"),
    MLCase("ls_half_l2", "least squares", r"\frac{1}{2}\|Xw - y\|_2^2", "w", LS,
           lambda v: 0.5 * sq(v["X"] @ v["w"] - v["y"]),
           lambda v: v["X"].T @ (v["X"] @ v["w"] - v["y"]),
           r"X^T (X w - y)"),
    MLCase("ls_inner_product", "least squares", r"(y - Xw)^T (y - Xw)", "w", LS,
           lambda v: sq(v["y"] - v["X"] @ v["w"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["w"] - v["y"]),
           r"2 X^T (X w - y)"),
    MLCase("ls_wrt_X", "least squares", r"\|Xw - y\|^2", "X", LS,
           lambda v: sq(v["X"] @ v["w"] - v["y"]),
           lambda v: 2 * np.outer(v["X"] @ v["w"] - v["y"], v["w"]),
           r"2 (X w - y) w^T"),
    MLCase("ls_multi_F_2", "least squares", r"\|XW - Y\|_F^2", "W", MULTI,
           lambda v: sq(v["X"] @ v["W"] - v["Y"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["W"] - v["Y"]),
           r"2 X^T (X W - Y)"),
    MLCase("ls_multi_2_F", "least squares", r"\|XW - Y\|^2_F", "W", MULTI,
           lambda v: sq(v["X"] @ v["W"] - v["Y"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["W"] - v["Y"]),
           r"2 X^T (X W - Y)"),
    MLCase("ls_frobenius_inner", "least squares", r"\langle XW - Y, XW - Y \rangle", "W", MULTI,
           lambda v: sq(v["X"] @ v["W"] - v["Y"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["W"] - v["Y"]),
           r"2 X^T (X W - Y)"),
    MLCase("ls_multi_trace", "least squares", r"\operatorname{tr}((XW - Y)^T (XW - Y))", "W", MULTI,
           lambda v: sq(v["X"] @ v["W"] - v["Y"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["W"] - v["Y"]),
           r"2 X^T (X W - Y)"),
    MLCase("ls_intercept", "least squares", r"\|Xw + \beta\mathbf{1} - y\|^2", "\\beta",
           {**LS, "\\beta": ""},
           lambda v: sq(v["X"] @ v["w"] + v["\\beta"] - v["y"]),
           lambda v: 2 * float(np.sum(v["X"] @ v["w"] + v["\\beta"] - v["y"])),
           r"2 \mathbf{1}^T (X w + \beta \mathbf{1} - y)",
           declare={"\\beta": "scalar"}),

    # =====================================================================
    # Ridge regression
    # =====================================================================
    MLCase("ridge", "ridge", r"\|Xw - y\|^2 + \lambda\|w\|^2", "w", RIDGE,
           lambda v: sq(v["X"] @ v["w"] - v["y"]) + v["\\lambda"] * sq(v["w"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["w"] - v["y"]) + 2 * v["\\lambda"] * v["w"],
           r"2 X^T (X w - y) + 2 \lambda w"),
    MLCase("ridge_frac", "ridge", r"\frac{1}{2}\|Xw - y\|_2^2 + \frac{\lambda}{2}\|w\|_2^2", "w", RIDGE,
           lambda v: 0.5 * sq(v["X"] @ v["w"] - v["y"]) + 0.5 * v["\\lambda"] * sq(v["w"]),
           lambda v: v["X"].T @ (v["X"] @ v["w"] - v["y"]) + v["\\lambda"] * v["w"],
           r"X^T (X w - y) + \lambda w"),
    MLCase("ridge_inner_products", "ridge", r"(Xw - y)^T (Xw - y) + \lambda w^T w", "w", RIDGE,
           lambda v: sq(v["X"] @ v["w"] - v["y"]) + v["\\lambda"] * sq(v["w"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["w"] - v["y"]) + 2 * v["\\lambda"] * v["w"],
           r"2 X^T (X w - y) + 2 \lambda w"),
    MLCase("ridge_multi", "ridge", r"\|XW - Y\|_F^2 + \lambda\|W\|_F^2", "W", {**MULTI, "\\lambda": ""},
           lambda v: sq(v["X"] @ v["W"] - v["Y"]) + v["\\lambda"] * sq(v["W"]),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["W"] - v["Y"]) + 2 * v["\\lambda"] * v["W"],
           r"2 X^T (X W - Y) + 2 \lambda W"),
    MLCase("ridge_lasso_smooth", "ridge", r"\|Xw - y\|_2^2 + \lambda\|w\|_1", "w", RIDGE,
           lambda v: sq(v["X"] @ v["w"] - v["y"]) + v["\\lambda"] * float(np.sum(np.abs(v["w"]))),
           lambda v: 2 * v["X"].T @ (v["X"] @ v["w"] - v["y"]) + v["\\lambda"] * np.sign(v["w"]),
           r"2 X^T (X w - y) + \lambda sign(w)"),

    # =====================================================================
    # Weighted least squares
    # =====================================================================
    MLCase("wls_symmetric", "weighted least squares", r"(Xw - y)^T W (Xw - y)", "w", {**LS, "W": "nn"},
           lambda v: float((v["X"] @ v["w"] - v["y"]) @ v["W"] @ (v["X"] @ v["w"] - v["y"])),
           lambda v: 2 * v["X"].T @ v["W"] @ (v["X"] @ v["w"] - v["y"]),
           r"2 X^T W (X w - y)",
           declare={"W": "symmetric"}),
    MLCase("wls_general", "weighted least squares", r"(y - Xw)^T W (y - Xw)", "w", {**LS, "W": "nn"},
           lambda v: float((v["y"] - v["X"] @ v["w"]) @ v["W"] @ (v["y"] - v["X"] @ v["w"])),
           lambda v: -v["X"].T @ (v["W"] + v["W"].T) @ (v["y"] - v["X"] @ v["w"]),
           r"-X^T (W + W^T) (y - X w)"),
    MLCase("wls_diag", "weighted least squares", r"(Xw - y)^T \operatorname{diag}(s) (Xw - y)", "w",
           {**LS, "s": "n"},
           lambda v: float(np.sum(v["s"] * (v["X"] @ v["w"] - v["y"]) ** 2)),
           lambda v: 2 * v["X"].T @ (v["s"] * (v["X"] @ v["w"] - v["y"])),
           r"2 X^T (s .* (X w - y))"),

    # =====================================================================
    # Logistic regression: with σ, with exp, with softplus; labels 0/1 and ±1
    # =====================================================================
    MLCase("logreg_sigma", "logistic regression", LOGREG_SIGMA, "w", LS, f_logreg, g_logreg, TB_LOGREG),
    MLCase("logreg_exp", "logistic regression", LOGREG_EXP, "w", LS, f_logreg, g_logreg, TB_LOGREG),
    MLCase("logreg_sigmoid_word", "logistic regression",
           r"-y^T \log(\operatorname{sigmoid}(Xw)) - (1 - y)^T \log(1 - \operatorname{sigmoid}(Xw))", "w", LS,
           f_logreg, g_logreg, TB_LOGREG),
    MLCase("logreg_softplus_exp", "logistic regression", LOGREG_SOFTPLUS, "w", LS,
           lambda v: float(np.sum(np.log1p(np.exp(v["X"] @ v["w"]))) - v["y"] @ v["X"] @ v["w"]),
           g_logreg, TB_LOGREG),
    MLCase("logreg_softplus_word", "logistic regression", r"\mathbf{1}^T \operatorname{softplus}(Xw) - y^T X w",
           "w", LS,
           lambda v: float(np.sum(np.log1p(np.exp(v["X"] @ v["w"]))) - v["y"] @ v["X"] @ v["w"]),
           g_logreg, TB_LOGREG),
    MLCase("logreg_e_power", "logistic regression", r"\operatorname{sum}(\log(1 + e^{Xw})) - y^T X w", "w", LS,
           lambda v: float(np.sum(np.log1p(np.exp(v["X"] @ v["w"]))) - v["y"] @ v["X"] @ v["w"]),
           g_logreg, TB_LOGREG),
    MLCase("logreg_pm1_exp", "logistic regression", r"\operatorname{sum}(\log(1 + \exp(-y \odot Xw)))", "w", LS,
           f_logreg_pm, g_logreg_pm, r"-X^T (y .* \sigma(-y .* (X w)))"),
    MLCase("logreg_pm1_matrixcalculus", "logistic regression", r"sum(log(exp(-y.*(X*w)) + 1))", "w", LS,
           f_logreg_pm, g_logreg_pm, r"-X^T (y .* \sigma(-y .* (X w)))"),
    MLCase("logreg_pm1_ridge", "logistic regression",
           r"\mathbf{1}^T \log(1 + \exp(-y \odot Xw)) + \frac{\lambda}{2}\|w\|_2^2", "w", RIDGE,
           lambda v: f_logreg_pm(v) + 0.5 * v["\\lambda"] * sq(v["w"]),
           lambda v: g_logreg_pm(v) + v["\\lambda"] * v["w"],
           r"\lambda w - X^T (y .* \sigma(-y .* (X w)))"),
    MLCase("logreg_one_sample", "logistic regression", r"\log(1 + \exp(-y\, w^T x))", "w",
           {"w": "d", "x": "d", "y": ""},
           lambda v: float(np.log1p(np.exp(-v["y"] * (v["w"] @ v["x"])))),
           lambda v: -v["y"] * sig(-v["y"] * (v["w"] @ v["x"])) * v["x"],
           r"-y \sigma(-y w^T x) x",
           declare={"y": "scalar"}),

    # =====================================================================
    # Softmax regression: with softmax, with exp, with log-sum-exp
    # =====================================================================
    MLCase("softmax_ce", "softmax regression", r"-y^T \log(\operatorname{softmax}(Wx))", "W", SOFTMAX,
           f_softmax_ce, g_softmax_ce, TB_SOFTMAX_CE),
    MLCase("softmax_ce_exp_sum", "softmax regression", r"-y^T \log(\exp(Wx) / \operatorname{sum}(\exp(Wx)))", "W",
           SOFTMAX, f_softmax_ce, g_softmax_ce, TB_SOFTMAX_CE),
    MLCase("softmax_ce_exp_ones", "softmax regression", r"-y^T \log\left(\frac{\exp(Wx)}{\mathbf{1}^T \exp(Wx)}\right)",
           "W", SOFTMAX, f_softmax_ce, g_softmax_ce, TB_SOFTMAX_CE),
    MLCase("softmax_ce_wrt_x", "softmax regression", r"-y^T \log(\operatorname{softmax}(Wx))", "x", SOFTMAX,
           f_softmax_ce,
           lambda v: v["W"].T @ (v["y"].sum() * softmax(v["W"] @ v["x"]) - v["y"]),
           r"W^T (sum(y) softmax(W x) - y)"),
    MLCase("softmax_ce_bias", "softmax regression", r"-y^T \log(\operatorname{softmax}(Wx + b))", "b",
           {**SOFTMAX, "b": "k"},
           lambda v: float(-v["y"] @ np.log(softmax(v["W"] @ v["x"] + v["b"]))),
           lambda v: v["y"].sum() * softmax(v["W"] @ v["x"] + v["b"]) - v["y"],
           r"sum(y) softmax(W x + b) - y",
           declare={"b": "vector"}),
    MLCase("softmax_ce_e_power", "softmax regression", r"-y^T \log(e^{Wx} / (\mathbf{1}^T e^{Wx}))", "W", SOFTMAX,
           f_softmax_ce, g_softmax_ce, TB_SOFTMAX_CE),
    MLCase("softmax_lse_exp", "softmax regression", r"\log(\mathbf{1}^T \exp(Wx)) - y^T W x", "W", SOFTMAX,
           f_lse_reg, g_lse_reg, r"(softmax(W x) - y) x^T"),
    MLCase("softmax_lse_sum", "softmax regression", r"\log(\operatorname{sum}(\exp(Wx))) - y^T W x", "W", SOFTMAX,
           f_lse_reg, g_lse_reg, r"(softmax(W x) - y) x^T"),
    MLCase("softmax_LSE", "softmax regression", r"\operatorname{LSE}(Wx) - y^T W x", "W", SOFTMAX,
           f_lse_reg, g_lse_reg, r"(softmax(W x) - y) x^T"),
    MLCase("softmax_log_sum_exp", "softmax regression", r"\log\sum\exp(Wx) - y^T W x", "W", SOFTMAX,
           f_lse_reg, g_lse_reg, r"(softmax(W x) - y) x^T"),

    # =====================================================================
    # Poisson regression (a GLM with the exp link)
    # =====================================================================
    MLCase("poisson", "poisson regression", r"\mathbf{1}^T \exp(Xw) - y^T X w", "w", LS,
           lambda v: float(np.sum(np.exp(v["X"] @ v["w"])) - v["y"] @ v["X"] @ v["w"]),
           lambda v: v["X"].T @ (np.exp(v["X"] @ v["w"]) - v["y"]),
           r"X^T (exp(X w) - y)"),
    MLCase("poisson_sum", "poisson regression", r"\operatorname{sum}(\exp(Xw)) - y^T X w", "w", LS,
           lambda v: float(np.sum(np.exp(v["X"] @ v["w"])) - v["y"] @ v["X"] @ v["w"]),
           lambda v: v["X"].T @ (np.exp(v["X"] @ v["w"]) - v["y"]),
           r"X^T (exp(X w) - y)"),

    # =====================================================================
    # Gaussian negative log-likelihood
    # =====================================================================
    MLCase("gauss_quadratic_mu", "gaussian nll", r"\frac{1}{2}(x - \mu)^T \Sigma^{-1} (x - \mu)", "\\mu", GAUSS,
           lambda v: 0.5 * float((v["x"] - v["\\mu"]) @ inv(v["\\Sigma"]) @ (v["x"] - v["\\mu"])),
           lambda v: -inv(v["\\Sigma"]) @ (v["x"] - v["\\mu"]),
           r"-\Sigma^{-1} (x - \mu)",
           declare={"\\Sigma": "symmetric"}),
    MLCase("gauss_nll_mu", "gaussian nll", GAUSS_NLL, "\\mu", GAUSS, f_gauss_nll,
           lambda v: -inv(v["\\Sigma"]) @ (v["x"] - v["\\mu"]),
           r"-\Sigma^{-1} (x - \mu)",
           declare={"\\Sigma": "symmetric"}),
    MLCase("gauss_nll_Sigma", "gaussian nll", GAUSS_NLL, "\\Sigma", GAUSS, f_gauss_nll,
           lambda v: 0.5 * (inv(v["\\Sigma"]) - inv(v["\\Sigma"]) @ np.outer(v["x"] - v["\\mu"], v["x"] - v["\\mu"])
                            @ inv(v["\\Sigma"])),
           r"(1/2) (\Sigma^{-1} - \Sigma^{-1} (x - \mu) (x - \mu)^T \Sigma^{-1})",
           declare={"\\Sigma": "symmetric"}),
    MLCase("gauss_nll_Sigma_brackets", "gaussian nll",
           r"\frac{1}{2}\left[\log|\Sigma| + (x - \mu)^T \Sigma^{-1} (x - \mu)\right]", "\\Sigma", GAUSS, f_gauss_nll,
           lambda v: 0.5 * (inv(v["\\Sigma"]) - inv(v["\\Sigma"]) @ np.outer(v["x"] - v["\\mu"], v["x"] - v["\\mu"])
                            @ inv(v["\\Sigma"])),
           r"(1/2) (\Sigma^{-1} - \Sigma^{-1} (x - \mu) (x - \mu)^T \Sigma^{-1})",
           declare={"\\Sigma": "symmetric"}),
    MLCase("gauss_nll_Sigma_scatter", "gaussian nll", r"\frac{1}{2}\log|\Sigma| + \frac{1}{2}\operatorname{tr}(\Sigma^{-1} S)",
           "\\Sigma", {"\\Sigma": "dd", "S": "dd"},
           lambda v: 0.5 * logdet(v["\\Sigma"]) + 0.5 * np.trace(inv(v["\\Sigma"]) @ v["S"]),
           lambda v: 0.5 * (inv(v["\\Sigma"]) - inv(v["\\Sigma"]) @ v["S"] @ inv(v["\\Sigma"])),
           r"(1/2) (\Sigma^{-1} - \Sigma^{-1} S \Sigma^{-1})",
           declare={"\\Sigma": "symmetric", "S": "symmetric"}),
    MLCase("gauss_nll_precision", "gaussian nll",
           r"-\frac{1}{2}\log\det\Lambda + \frac{1}{2}(x - \mu)^T \Lambda (x - \mu)", "\\Lambda",
           {"x": "d", "\\mu": "d", "\\Lambda": "dd"},
           lambda v: -0.5 * logdet(v["\\Lambda"]) + 0.5 * float((v["x"] - v["\\mu"]) @ v["\\Lambda"] @ (v["x"] - v["\\mu"])),
           lambda v: 0.5 * (np.outer(v["x"] - v["\\mu"], v["x"] - v["\\mu"]) - inv(v["\\Lambda"])),
           r"(1/2) ((x - \mu) (x - \mu)^T - \Lambda^{-1})",
           declare={"\\Lambda": "symmetric"}),
    MLCase("gauss_nll_samples_mu", "gaussian nll",
           r"\frac{1}{2}\operatorname{tr}((X - \mu\mathbf{1}^T)^T \Sigma^{-1} (X - \mu\mathbf{1}^T))", "\\mu",
           {"X": "dn", "\\mu": "d", "\\Sigma": "dd"},
           lambda v: 0.5 * np.trace((v["X"] - v["\\mu"][:, None]).T @ inv(v["\\Sigma"]) @ (v["X"] - v["\\mu"][:, None])),
           lambda v: -inv(v["\\Sigma"]) @ (v["X"] - v["\\mu"][:, None]) @ np.ones(v["X"].shape[1]),
           r"-\Sigma^{-1} (X - \mu \mathbf{1}^T) \mathbf{1}",
           declare={"\\Sigma": "symmetric"}),
    MLCase("mahalanobis", "gaussian nll", r"\sqrt{(x - \mu)^T \Sigma^{-1} (x - \mu)}", "x", GAUSS,
           lambda v: float(np.sqrt((v["x"] - v["\\mu"]) @ inv(v["\\Sigma"]) @ (v["x"] - v["\\mu"]))),
           lambda v: inv(v["\\Sigma"]) @ (v["x"] - v["\\mu"])
           / np.sqrt((v["x"] - v["\\mu"]) @ inv(v["\\Sigma"]) @ (v["x"] - v["\\mu"])),
           r"\Sigma^{-1} (x - \mu) / sqrt((x - \mu)^T \Sigma^{-1} (x - \mu))",
           declare={"\\Sigma": "symmetric"}),

    # =====================================================================
    # KL divergences: between Gaussians, to N(0, I) (the VAE term), between distributions
    # =====================================================================
    MLCase("kl_gauss_mu1", "kl gaussians", KL_GAUSS, "\\mu_1", KL, f_kl,
           lambda v: inv(v["\\Sigma_2"]) @ (v["\\mu_1"] - v["\\mu_2"]),
           r"\Sigma_2^{-1} (\mu_1 - \mu_2)",
           declare=KL_SYM),
    MLCase("kl_gauss_Sigma1", "kl gaussians", KL_GAUSS, "\\Sigma_1", KL, f_kl,
           lambda v: 0.5 * (inv(v["\\Sigma_2"]) - inv(v["\\Sigma_1"])),
           r"(1/2) (\Sigma_2^{-1} - \Sigma_1^{-1})",
           declare=KL_SYM),
    MLCase("kl_gauss_Sigma1_ratio", "kl gaussians",
           r"\frac{1}{2}\left(\operatorname{tr}(\Sigma_2^{-1}\Sigma_1) + (\mu_2 - \mu_1)^T \Sigma_2^{-1} (\mu_2 - \mu_1)"
           r" + \log\frac{|\Sigma_2|}{|\Sigma_1|}\right)", "\\Sigma_1", KL, f_kl,
           lambda v: 0.5 * (inv(v["\\Sigma_2"]) - inv(v["\\Sigma_1"])),
           r"(1/2) (\Sigma_2^{-1} - \Sigma_1^{-1})",
           declare=KL_SYM),
    MLCase("kl_gauss_Sigma2", "kl gaussians", KL_GAUSS, "\\Sigma_2", KL, f_kl, g_kl_Sigma2,
           r"(1/2) (\Sigma_2^{-1} - \Sigma_2^{-1} (\Sigma_1 + (\mu_2 - \mu_1) (\mu_2 - \mu_1)^T) \Sigma_2^{-1})",
           declare=KL_SYM),
    MLCase("vae_kl_Sigma", "kl gaussians",
           r"\frac{1}{2}(\operatorname{tr}(\Sigma) + \mu^T\mu - \log\det\Sigma)", "\\Sigma",
           {"\\mu": "d", "\\Sigma": "dd"},
           lambda v: 0.5 * (np.trace(v["\\Sigma"]) + sq(v["\\mu"]) - logdet(v["\\Sigma"])),
           lambda v: 0.5 * (np.eye(len(v["\\mu"])) - inv(v["\\Sigma"])),
           r"(1/2) (I - \Sigma^{-1})",
           declare={"\\Sigma": "symmetric"}),
    MLCase("vae_kl_mu", "kl gaussians",
           r"\frac{1}{2}(\operatorname{tr}(\Sigma) + \mu^T\mu - \log\det\Sigma)", "\\mu",
           {"\\mu": "d", "\\Sigma": "dd"},
           lambda v: 0.5 * (np.trace(v["\\Sigma"]) + sq(v["\\mu"]) - logdet(v["\\Sigma"])),
           lambda v: v["\\mu"],
           r"\mu",
           declare={"\\Sigma": "symmetric"}),
    MLCase("entropy", "entropy", r"-p^T \log(p)", "p", {"p": "k"},
           lambda v: float(-v["p"] @ np.log(v["p"])),
           lambda v: -np.log(v["p"]) - 1,
           r"-log(p) - 1",
           positive=True),
    MLCase("kl_discrete_q", "kl discrete", r"p^T \log(p ./ q)", "q", {"p": "k", "q": "k"},
           lambda v: float(v["p"] @ np.log(v["p"] / v["q"])),
           lambda v: -v["p"] / v["q"],
           r"-p ./ q",
           positive=True),
    MLCase("kl_discrete_p", "kl discrete", r"p^T \log(p ./ q)", "p", {"p": "k", "q": "k"},
           lambda v: float(v["p"] @ np.log(v["p"] / v["q"])),
           lambda v: np.log(v["p"] / v["q"]) + 1,
           r"log(p ./ q) + 1",
           positive=True),
    MLCase("cross_entropy_q", "kl discrete", r"-p^T \log q", "q", {"p": "k", "q": "k"},
           lambda v: float(-v["p"] @ np.log(v["q"])),
           lambda v: -v["p"] / v["q"],
           r"-p ./ q",
           positive=True),

    # =====================================================================
    # Gaussian process marginal likelihood (negative log)
    # =====================================================================
    MLCase("gp_K", "gp marginal likelihood", r"\frac{1}{2} y^T K^{-1} y + \frac{1}{2}\log\det K", "K",
           {"y": "n", "K": "nn"}, f_gp,
           lambda v: 0.5 * (inv(v["K"]) - inv(v["K"]) @ np.outer(v["y"], v["y"]) @ inv(v["K"])),
           r"(1/2) (K^{-1} - K^{-1} y y^T K^{-1})",
           declare={"K": "symmetric"}),
    MLCase("gp_K_bars", "gp marginal likelihood", r"\frac{1}{2} y^T K^{-1} y + \frac{1}{2}\log|K|", "K",
           {"y": "n", "K": "nn"}, f_gp,
           lambda v: 0.5 * (inv(v["K"]) - inv(v["K"]) @ np.outer(v["y"], v["y"]) @ inv(v["K"])),
           r"(1/2) (K^{-1} - K^{-1} y y^T K^{-1})",
           declare={"K": "symmetric"}),
    MLCase("gp_precision", "gp marginal likelihood", r"\frac{1}{2} y^T Q y - \frac{1}{2}\log\det Q", "Q",
           {"y": "n", "Q": "nn"},
           lambda v: 0.5 * float(v["y"] @ v["Q"] @ v["y"]) - 0.5 * logdet(v["Q"]),
           lambda v: 0.5 * (np.outer(v["y"], v["y"]) - inv(v["Q"])),
           r"(1/2) (y y^T - Q^{-1})",
           declare={"Q": "symmetric"}),
    MLCase("gp_noise_K", "gp marginal likelihood", GP_NOISE, "K", {"y": "n", "K": "nn", "\\eta": ""}, f_gp_noise,
           lambda v: 0.5 * (inv(v["K"] + v["\\eta"] * np.eye(len(v["y"])))
                            - inv(v["K"] + v["\\eta"] * np.eye(len(v["y"]))) @ np.outer(v["y"], v["y"])
                            @ inv(v["K"] + v["\\eta"] * np.eye(len(v["y"])))),
           r"(1/2) ((K + \eta I)^{-1} - (K + \eta I)^{-1} y y^T (K + \eta I)^{-1})",
           declare={"K": "symmetric"}, positive=True),
    MLCase("gp_noise_eta", "gp marginal likelihood", GP_NOISE, "\\eta", {"y": "n", "K": "nn", "\\eta": ""}, f_gp_noise,
           lambda v: float(0.5 * np.trace(inv(v["K"] + v["\\eta"] * np.eye(len(v["y"]))))
                           - 0.5 * v["y"] @ np.linalg.matrix_power(inv(v["K"] + v["\\eta"] * np.eye(len(v["y"]))), 2)
                           @ v["y"]),
           r"(1/2) tr((K + \eta I)^{-1}) - (1/2) y^T (K + \eta I)^{-2} y",
           declare={"K": "symmetric"}, positive=True),

    # =====================================================================
    # PCA, the Rayleigh quotient, cosine similarity
    # =====================================================================
    MLCase("pca_trace", "pca", r"\operatorname{tr}(W^T S W)", "W", {"W": "dr", "S": "dd"},
           lambda v: np.trace(v["W"].T @ v["S"] @ v["W"]),
           lambda v: 2 * v["S"] @ v["W"],
           r"2 S W",
           declare={"S": "symmetric"}),
    MLCase("pca_trace_mathrm", "pca", r"\mathrm{Tr}(W^T S W)", "W", {"W": "dr", "S": "dd"},
           lambda v: np.trace(v["W"].T @ v["S"] @ v["W"]),
           lambda v: 2 * v["S"] @ v["W"],
           r"2 S W",
           declare={"S": "symmetric"}),
    MLCase("pca_lagrangian", "pca", r"\operatorname{tr}(W^T S W) - \operatorname{tr}(\Lambda (W^T W - I))", "W",
           {"W": "dr", "S": "dd", "\\Lambda": "rr"},
           lambda v: np.trace(v["W"].T @ v["S"] @ v["W"]) - np.trace(v["\\Lambda"] @ (v["W"].T @ v["W"] - np.eye(2))),
           lambda v: 2 * v["S"] @ v["W"] - 2 * v["W"] @ v["\\Lambda"],
           r"2 S W - 2 W \Lambda",
           declare={"S": "symmetric", "\\Lambda": "symmetric"}),
    MLCase("pca_reconstruction", "pca", r"\|X - W W^T X\|_F^2", "W", {"X": "dn", "W": "dr"},
           lambda v: sq(v["X"] - v["W"] @ v["W"].T @ v["X"]),
           lambda v: -2 * ((v["X"] - v["W"] @ v["W"].T @ v["X"]) @ v["X"].T
                           + v["X"] @ (v["X"] - v["W"] @ v["W"].T @ v["X"]).T) @ v["W"],
           r"-2 ((X - W W^T X) X^T + X (X - W W^T X)^T) W"),
    MLCase("rayleigh", "rayleigh quotient", r"\frac{x^T A x}{x^T x}", "x", {"x": "d", "A": "dd"},
           lambda v: float(v["x"] @ v["A"] @ v["x"] / (v["x"] @ v["x"])),
           lambda v: 2 * (v["A"] @ v["x"] - (v["x"] @ v["A"] @ v["x"]) / (v["x"] @ v["x"]) * v["x"]) / (v["x"] @ v["x"]),
           r"2 (A x - (x^T A x) x / (x^T x)) / (x^T x)",
           declare={"A": "symmetric"}),
    MLCase("rayleigh_generalized", "rayleigh quotient", r"\frac{w^T A w}{w^T B w}", "w",
           {"w": "d", "A": "dd", "B": "dd"},
           lambda v: float(v["w"] @ v["A"] @ v["w"] / (v["w"] @ v["B"] @ v["w"])),
           lambda v: 2 * v["A"] @ v["w"] / (v["w"] @ v["B"] @ v["w"])
           - 2 * (v["w"] @ v["A"] @ v["w"]) * v["B"] @ v["w"] / (v["w"] @ v["B"] @ v["w"]) ** 2,
           r"2 A w / (w^T B w) - 2 (w^T A w) B w / (w^T B w)^2",
           declare={"A": "symmetric", "B": "symmetric"}),
    MLCase("cosine_similarity", "cosine", r"\frac{x^T y}{\|x\| \|y\|}", "x", {"x": "d", "y": "d"},
           lambda v: float(v["x"] @ v["y"] / (np.linalg.norm(v["x"]) * np.linalg.norm(v["y"]))),
           lambda v: v["y"] / (np.linalg.norm(v["x"]) * np.linalg.norm(v["y"]))
           - (v["x"] @ v["y"]) * v["x"] / (np.linalg.norm(v["x"]) ** 3 * np.linalg.norm(v["y"])),
           r"y / (\|x\| \|y\|) - (x^T y) x / (\|x\|^3 \|y\|)"),
    MLCase("contrastive_infonce", "contrastive", r"\log(\mathbf{1}^T \exp(Eq)) - p^T q", "q",
           {"E": "md", "q": "d", "p": "d"},
           lambda v: lse(v["E"] @ v["q"]) - float(v["p"] @ v["q"]),
           lambda v: v["E"].T @ softmax(v["E"] @ v["q"]) - v["p"],
           r"E^T softmax(E q) - p"),

    # =====================================================================
    # Matrix factorisation and NMF
    # =====================================================================
    MLCase("mf_W", "matrix factorisation", r"\|X - WH\|_F^2", "W", MF, f_mf,
           lambda v: -2 * (v["X"] - v["W"] @ v["H"]) @ v["H"].T,
           r"-2 (X - W H) H^T"),
    MLCase("mf_H", "matrix factorisation", r"\|X - WH\|_F^2", "H", MF, f_mf,
           lambda v: -2 * v["W"].T @ (v["X"] - v["W"] @ v["H"]),
           r"-2 W^T (X - W H)"),
    MLCase("mf_trace_H", "matrix factorisation", r"\operatorname{tr}((X - WH)^T (X - WH))", "H", MF, f_mf,
           lambda v: -2 * v["W"].T @ (v["X"] - v["W"] @ v["H"]),
           r"-2 W^T (X - W H)"),
    MLCase("mf_regularised_W", "matrix factorisation",
           r"\frac{1}{2}\|X - WH\|_F^2 + \frac{\lambda}{2}(\|W\|_F^2 + \|H\|_F^2)", "W", {**MF, "\\lambda": ""},
           lambda v: 0.5 * f_mf(v) + 0.5 * v["\\lambda"] * (sq(v["W"]) + sq(v["H"])),
           lambda v: (v["W"] @ v["H"] - v["X"]) @ v["H"].T + v["\\lambda"] * v["W"],
           r"(W H - X) H^T + \lambda W"),
    MLCase("nmf_kl_W", "nmf", NMF_KL, "W", MF, f_nmf_kl,
           lambda v: (1 - v["X"] / (v["W"] @ v["H"])) @ v["H"].T,
           r"(1 - X ./ (W H)) H^T",
           positive=True),
    MLCase("nmf_kl_H", "nmf", NMF_KL, "H", MF, f_nmf_kl,
           lambda v: v["W"].T @ (1 - v["X"] / (v["W"] @ v["H"])),
           r"W^T (1 - X ./ (W H))",
           positive=True),
    MLCase("nmf_itakura_saito_W", "nmf", r"\operatorname{sum}(X ./ (WH) - \log(X ./ (WH)))", "W", MF, f_nmf_is,
           lambda v: (1 / (v["W"] @ v["H"]) - v["X"] / (v["W"] @ v["H"]) ** 2) @ v["H"].T,
           r"(1 ./ (W H) - X ./ (W H).^2) H^T",
           positive=True),

    # =====================================================================
    # Two-layer networks: tanh, relu, sigmoid
    # =====================================================================
    MLCase("net_tanh_W2", "two-layer network", r"\|W_2 \tanh(W_1 x) - y\|^2", "W_2", NET, f_net_tanh,
           lambda v: 2 * np.outer(v["W_2"] @ np.tanh(v["W_1"] @ v["x"]) - v["y"], np.tanh(v["W_1"] @ v["x"])),
           r"2 (W_2 tanh(W_1 x) - y) tanh(W_1 x)^T"),
    MLCase("net_tanh_W1", "two-layer network", r"\|W_2 \tanh(W_1 x) - y\|^2", "W_1", NET, f_net_tanh,
           lambda v: 2 * np.outer((1 - np.tanh(v["W_1"] @ v["x"]) ** 2)
                                  * (v["W_2"].T @ (v["W_2"] @ np.tanh(v["W_1"] @ v["x"]) - v["y"])), v["x"]),
           r"2 ((1 - tanh(W_1 x).^2) .* (W_2^T (W_2 tanh(W_1 x) - y))) x^T"),
    MLCase("net_tanh_weight_decay_W1", "two-layer network", r"\|W_2 \tanh(W_1 x) - y\|^2 + \lambda\|W_1\|_F^2", "W_1",
           {**NET, "\\lambda": ""},
           lambda v: f_net_tanh(v) + v["\\lambda"] * sq(v["W_1"]),
           lambda v: 2 * np.outer((1 - np.tanh(v["W_1"] @ v["x"]) ** 2)
                                  * (v["W_2"].T @ (v["W_2"] @ np.tanh(v["W_1"] @ v["x"]) - v["y"])), v["x"])
           + 2 * v["\\lambda"] * v["W_1"],
           r"2 ((1 - tanh(W_1 x).^2) .* (W_2^T (W_2 tanh(W_1 x) - y))) x^T + 2 \lambda W_1"),
    MLCase("net_tanh_bias_b1", "two-layer network", r"\|W_2 \tanh(W_1 x + b_1) + b_2 - y\|_2^2", "b_1",
           {**NET, "b_1": "h", "b_2": "k"},
           lambda v: sq(v["W_2"] @ np.tanh(v["W_1"] @ v["x"] + v["b_1"]) + v["b_2"] - v["y"]),
           lambda v: 2 * (1 - np.tanh(v["W_1"] @ v["x"] + v["b_1"]) ** 2)
           * (v["W_2"].T @ (v["W_2"] @ np.tanh(v["W_1"] @ v["x"] + v["b_1"]) + v["b_2"] - v["y"])),
           r"2 (1 - tanh(W_1 x + b_1).^2) .* (W_2^T (W_2 tanh(W_1 x + b_1) + b_2 - y))",
           declare={"b_1": "vector", "b_2": "vector"}),
    MLCase("net_tanh_softmax_W2", "two-layer network", r"-y^T \log(\operatorname{softmax}(W_2 \tanh(W_1 x)))", "W_2",
           NET,
           lambda v: float(-v["y"] @ np.log(softmax(v["W_2"] @ np.tanh(v["W_1"] @ v["x"])))),
           lambda v: np.outer(v["y"].sum() * softmax(v["W_2"] @ np.tanh(v["W_1"] @ v["x"])) - v["y"],
                              np.tanh(v["W_1"] @ v["x"])),
           r"(sum(y) softmax(W_2 tanh(W_1 x)) - y) tanh(W_1 x)^T"),
    MLCase("net_relu_W1", "two-layer network", r"\frac{1}{2}\|W_2 \operatorname{relu}(W_1 x) - y\|^2", "W_1", NET,
           f_net_relu, g_net_relu_W1,
           r"(sign(relu(W_1 x)) .* (W_2^T (W_2 relu(W_1 x) - y))) x^T"),
    MLCase("net_relu_W2", "two-layer network", r"\frac{1}{2}\|W_2 \operatorname{relu}(W_1 x) - y\|^2", "W_2", NET,
           f_net_relu, g_net_relu_W2,
           r"(W_2 relu(W_1 x) - y) relu(W_1 x)^T"),
    MLCase("net_relu_max_W1", "two-layer network", r"\frac{1}{2}\|W_2 \max(0, W_1 x) - y\|^2", "W_1", NET,
           f_net_relu, g_net_relu_W1,
           r"(sign(relu(W_1 x)) .* (W_2^T (W_2 relu(W_1 x) - y))) x^T"),
    MLCase("net_sigma_W1", "two-layer network", r"\|W_2 \sigma(W_1 x) - y\|^2", "W_1", NET, f_net_sig, g_net_sig_W1,
           r"2 (\sigma(W_1 x) .* (1 - \sigma(W_1 x)) .* (W_2^T (W_2 \sigma(W_1 x) - y))) x^T"),
    MLCase("net_sigma_W2", "two-layer network", r"\|W_2 \sigma(W_1 x) - y\|^2", "W_2", NET, f_net_sig,
           lambda v: 2 * np.outer(v["W_2"] @ sig(v["W_1"] @ v["x"]) - v["y"], sig(v["W_1"] @ v["x"])),
           r"2 (W_2 \sigma(W_1 x) - y) \sigma(W_1 x)^T"),
    MLCase("net_sigmoid_exp_W1", "two-layer network", r"\|W_2 (1 ./ (1 + \exp(-W_1 x))) - y\|^2", "W_1", NET,
           f_net_sig, g_net_sig_W1,
           r"2 (\sigma(W_1 x) .* (1 - \sigma(W_1 x)) .* (W_2^T (W_2 \sigma(W_1 x) - y))) x^T"),

    # =====================================================================
    # Log-det barriers
    # =====================================================================
    MLCase("logdet_barrier", "log-det barrier", r"-\log\det X", "X", {"X": "dd"},
           lambda v: -logdet(v["X"]),
           lambda v: -inv(v["X"]),
           r"-X^{-1}",
           declare={"X": "symmetric"}),
    MLCase("logdet_barrier_sdp", "log-det barrier", r"t \operatorname{tr}(CX) - \log\det X", "X",
           {"X": "dd", "C": "dd", "t": ""},
           lambda v: v["t"] * np.trace(v["C"] @ v["X"]) - logdet(v["X"]),
           lambda v: v["t"] * v["C"] - inv(v["X"]),
           r"t C - X^{-1}",
           declare={"X": "symmetric", "C": "symmetric", "t": "scalar"}),
    MLCase("logdet_barrier_precision", "log-det barrier", r"\operatorname{tr}(SX) - \log\det X", "X",
           {"X": "dd", "S": "dd"},
           lambda v: np.trace(v["S"] @ v["X"]) - logdet(v["X"]),
           lambda v: v["S"] - inv(v["X"]),
           r"S - X^{-1}",
           declare={"X": "symmetric", "S": "symmetric"}),
    MLCase("log_barrier_lp", "log-det barrier", r"t c^T x - \mathbf{1}^T \log(b - Ax)", "x",
           {"A": "nd", "x": "d", "b": "n", "c": "d", "t": ""},
           lambda v: v["t"] * float(v["c"] @ v["x"]) - float(np.sum(np.log(v["b"] - v["A"] @ v["x"]))),
           lambda v: v["t"] * v["c"] + v["A"].T @ (1 / (v["b"] - v["A"] @ v["x"])),
           r"t c + A^T (1 ./ (b - A x))",
           declare={"t": "scalar", "b": "vector", "c": "vector"}, prepare=_lp_domain),

    # =====================================================================
    # Hessians: least squares, logistic NLL, log-sum-exp, Gaussian NLL, Poisson
    # =====================================================================
    MLCase("hess_ls", "least squares", r"\|Xw - y\|^2", "w", LS,
           lambda v: sq(v["X"] @ v["w"] - v["y"]),
           lambda v: 2 * v["X"].T @ v["X"],
           r"2 X^T X", kind="hessian"),
    MLCase("hess_ridge", "ridge", r"\frac{1}{2}\|Xw - y\|_2^2 + \frac{\lambda}{2}\|w\|_2^2", "w", RIDGE,
           lambda v: 0.5 * sq(v["X"] @ v["w"] - v["y"]) + 0.5 * v["\\lambda"] * sq(v["w"]),
           lambda v: v["X"].T @ v["X"] + v["\\lambda"] * np.eye(v["X"].shape[1]),
           r"X^T X + \lambda I", kind="hessian"),
    MLCase("hess_logreg_sigma", "logistic regression", LOGREG_SIGMA, "w", LS, f_logreg, h_logreg, TB_LOGREG_H,
           kind="hessian"),
    MLCase("hess_logreg_exp", "logistic regression", LOGREG_EXP, "w", LS, f_logreg, h_logreg, TB_LOGREG_H,
           kind="hessian"),
    MLCase("hess_logreg_softplus", "logistic regression", LOGREG_SOFTPLUS, "w", LS,
           lambda v: float(np.sum(np.log1p(np.exp(v["X"] @ v["w"]))) - v["y"] @ v["X"] @ v["w"]),
           h_logreg, TB_LOGREG_H, kind="hessian"),
    MLCase("hess_lse", "log-sum-exp", r"\log(\operatorname{sum}(\exp(x)))", "x", {"x": "k"}, f_lse_x, h_lse_x,
           r"diag(softmax(x)) - softmax(x) softmax(x)^T", kind="hessian"),
    MLCase("hess_lse_ones", "log-sum-exp", r"\log(\mathbf{1}^T \exp(x))", "x", {"x": "k"}, f_lse_x, h_lse_x,
           r"diag(softmax(x)) - softmax(x) softmax(x)^T", kind="hessian"),
    MLCase("hess_LSE", "log-sum-exp", r"\operatorname{LSE}(x)", "x", {"x": "k"}, f_lse_x, h_lse_x,
           r"diag(softmax(x)) - softmax(x) softmax(x)^T", kind="hessian"),
    MLCase("hess_lse_affine", "log-sum-exp", r"\log(\operatorname{sum}(\exp(Ax)))", "x", {"A": "md", "x": "d"},
           lambda v: lse(v["A"] @ v["x"]),
           lambda v: v["A"].T @ h_lse_x({"x": v["A"] @ v["x"]}) @ v["A"],
           r"A^T (diag(softmax(A x)) - softmax(A x) softmax(A x)^T) A", kind="hessian"),
    MLCase("hess_softmax_ce_x", "softmax regression", r"-y^T \log(\operatorname{softmax}(Wx))", "x", SOFTMAX,
           f_softmax_ce, h_softmax_ce_x, TB_SOFTMAX_CE_H, kind="hessian"),
    MLCase("hess_softmax_ce_exp_x", "softmax regression", r"-y^T \log(\exp(Wx) / \operatorname{sum}(\exp(Wx)))", "x",
           SOFTMAX, f_softmax_ce, h_softmax_ce_x, TB_SOFTMAX_CE_H, kind="hessian"),
    MLCase("hess_gauss_quadratic_mu", "gaussian nll", r"\frac{1}{2}(x - \mu)^T \Sigma^{-1} (x - \mu)", "\\mu", GAUSS,
           lambda v: 0.5 * float((v["x"] - v["\\mu"]) @ inv(v["\\Sigma"]) @ (v["x"] - v["\\mu"])),
           lambda v: inv(v["\\Sigma"]),
           r"\Sigma^{-1}", kind="hessian", declare={"\\Sigma": "symmetric"}),
    MLCase("hess_gauss_nll_mu", "gaussian nll", GAUSS_NLL, "\\mu", GAUSS, f_gauss_nll,
           lambda v: inv(v["\\Sigma"]),
           r"\Sigma^{-1}", kind="hessian", declare={"\\Sigma": "symmetric"}),
    MLCase("hess_poisson", "poisson regression", r"\mathbf{1}^T \exp(Xw) - y^T X w", "w", LS,
           lambda v: float(np.sum(np.exp(v["X"] @ v["w"])) - v["y"] @ v["X"] @ v["w"]),
           lambda v: v["X"].T @ np.diag(np.exp(v["X"] @ v["w"])) @ v["X"],
           r"X^T diag(exp(X w)) X", kind="hessian"),
]
