"""The checking half of a `--format python` module, as text: `check_gradient`, `check_jacobian`
or `check_hessian`, and the finite differences they use. `python_code` writes the function
they check and `_random_arguments`; these parts do not depend on the input.

Each check takes random data of distinct sizes (so every free matrix is non-square), skips
data where something is singular or not finite, and compares with central differences; vec
stacks columns (NumPy order="F"), as in matcalc's ∂vec(F)/∂vec(X)."""
from __future__ import annotations

CHECK_GRADIENT = '''


def check_gradient(seed=0, tol=1e-5):
    """Each gradient against central finite differences at random data of distinct sizes (so
    every free matrix is non-square); returns the worst relative error, asserts it is < tol."""
    rng = np.random.default_rng(seed)
    for args in _random_arguments(rng):
        try:
            with np.errstate(all="ignore"):
                value, *grads = f_and_grad(**args)
                wants = [_numerical_gradient(lambda v: f_and_grad(**{**args, name: v})[0],
                                             args[name], symmetric) for name, _, symmetric in WRT]
        except np.linalg.LinAlgError:  # a singular matrix at or next to these data: take others
            continue
        if not all(np.all(np.isfinite(out)) for out in (value, *grads, *wants)):
            continue
        worst = 0.0
        for grad, want, (name, transposed, _) in zip(grads, wants, WRT):
            want = want.T if transposed else want
            assert np.shape(grad) == np.shape(want), \\
                f"the gradient for {name} has shape {np.shape(grad)}, not {np.shape(want)}"
            worst = max(worst, _relative_error(grad, want))
        assert worst < tol, f"a gradient differs from finite differences by {worst:.1e}"
        return worst
    raise ValueError("no random data found where f and its gradients are finite")
'''

CHECK_JACOBIAN = '''


def check_jacobian(seed=0, tol=1e-5):
    """Each Jacobian against central differences of vec(f), a column per entry of vec(x), at
    random data of distinct sizes (so every free matrix is non-square); returns the worst
    relative error, asserts it is < tol."""
    rng = np.random.default_rng(seed)
    for args in _random_arguments(rng):
        try:
            with np.errstate(all="ignore"):
                value, *jacs = f_and_jacobian(**args)
                wants = [_numerical_jacobian(lambda v: f_and_jacobian(**{**args, name: v})[0], args[name])
                         for name, _ in WRT]
        except np.linalg.LinAlgError:  # a singular matrix at or next to these data: take others
            continue
        if not all(np.all(np.isfinite(out)) for out in (value, *jacs, *wants)):
            continue
        worst = 0.0
        for jac, want, (name, transposed) in zip(jacs, wants, WRT):
            want = want.T if transposed else want
            assert np.shape(jac) == np.shape(want), \\
                f"the Jacobian for {name} has shape {np.shape(jac)}, not {np.shape(want)}"
            worst = max(worst, _relative_error(jac, want))
        assert worst < tol, f"a Jacobian differs from finite differences by {worst:.1e}"
        return worst
    raise ValueError("no random data found where f and its Jacobians are finite")
'''

CHECK_HESSIAN = '''


def check_hessian(seed=0, tol=1e-5):
    """Each gradient against central differences of the value, and each Hessian against central
    differences of that gradient over vec(x), at random data of distinct sizes (so every free
    matrix is non-square); returns the worst relative error, asserts it is < tol."""
    rng = np.random.default_rng(seed)
    for args in _random_arguments(rng):
        try:
            with np.errstate(all="ignore"):
                value, *outs = f_grad_and_hessian(**args)
                wants = []
                for k, name in enumerate(WRT):
                    def at(v, i):  # output i of f_grad_and_hessian, with v for the argument `name`
                        return f_grad_and_hessian(**{**args, name: v})[i]
                    wants.append(_numerical_gradient(lambda v: at(v, 0), args[name]))
                    wants.append(_numerical_jacobian(lambda v: at(v, 1 + 2 * k), args[name]))
        except np.linalg.LinAlgError:  # a singular matrix at or next to these data: take others
            continue
        if not all(np.all(np.isfinite(out)) for out in (value, *outs, *wants)):
            continue
        worst = 0.0
        for i, (out, want) in enumerate(zip(outs, wants)):
            what = f"the {('gradient', 'Hessian')[i % 2]} for {WRT[i // 2]}"
            assert np.shape(out) == np.shape(want), f"{what} has shape {np.shape(out)}, not {np.shape(want)}"
            error = _relative_error(out, want)
            assert error < tol, f"{what} differs from finite differences by {error:.1e}"
            worst = max(worst, error)
        return worst
    raise ValueError("no random data found where f, its gradients and Hessians are finite")
'''

NUMERICAL_GRADIENT = '''

def _numerical_gradient(f, x, symmetric=False, eps=1e-6):
    """Central differences entry by entry; for a symmetric x along E_ij + E_ji, halved off the
    diagonal (the gradient in the space of symmetric matrices)."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        if symmetric:
            step[idx[::-1]] = eps
        grad[idx] = (f(x + step) - f(x - step)) / (2 * eps)
        if symmetric and idx[0] != idx[1]:
            grad[idx] /= 2
    return grad
'''

NUMERICAL_JACOBIAN = '''

def _numerical_jacobian(f, x, eps=1e-6):
    """d vec(f)/d vec(x) by central differences: column k along the k-th entry of vec(x), where
    vec stacks columns (NumPy order="F"); a scalar x gives one column."""
    x = np.array(x, dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape, order="F")
        up, down = np.ravel(f(x + step), order="F"), np.ravel(f(x - step), order="F")
        columns.append((up - down) / (2 * eps))
    return np.column_stack(columns)
'''

DATA = '''

def _relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(a)), np.max(np.abs(b))))


def _random(rng, shape, positive=False, symmetric=False):
    """Well-conditioned data: square matrices near a multiple of I, symmetric ones positive
    definite; entries in [0.5, 1.5] when `positive` (for log, sqrt, ...), small ones in
    [-0.3, 0.3] when `positive` is None (for arcsin, arccos: arguments in (-1, 1))."""
    if positive is None:
        x = rng.uniform(-0.3, 0.3, shape) / max(1, *shape)
        return float(x) if shape == () else x
    if symmetric:
        q = rng.uniform(0.5, 1.5, shape) if positive else rng.standard_normal(shape)
        return q @ q.T / shape[0] + shape[0] * np.eye(shape[0])
    x = rng.uniform(0.5, 1.5, shape) if positive else rng.standard_normal(shape)
    if len(shape) == 2 and shape[0] == shape[1]:
        x = shape[0] * np.eye(shape[0]) + x if positive else 2 * np.eye(shape[0]) + 0.4 * x / np.sqrt(shape[0])
    return float(x) if shape == () else x
'''

# each part begins with the blank lines that separate it from the one before (a check follows
# the WRT line, the others a part that ends with a line break)
HELPERS = {  # kind of derivative → the check and the helpers it needs, in the module's order
    "gradient": CHECK_GRADIENT + NUMERICAL_GRADIENT + DATA,
    "jacobian": CHECK_JACOBIAN + NUMERICAL_JACOBIAN + DATA,
    "hessian": CHECK_HESSIAN + NUMERICAL_GRADIENT + NUMERICAL_JACOBIAN + DATA,
}

MAIN = '''

if __name__ == "__main__":
    print(f"{check}: max relative error {{{check}():.1e}}")
'''
