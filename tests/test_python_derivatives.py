"""`--format python` for Jacobians and Hessians: the module runs, its own check passes, and
what its function returns agrees, on the same data, with matcalc's result evaluated by
`numeric` and with finite differences computed here (so a check that is too lenient cannot
hide a wrong result). Broken results must make the module's check fail."""
from __future__ import annotations


import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import api
from matcalc.calculus import differentiate
from matcalc.numeric import evaluation as numeric
from matcalc.cli import output
from matcalc.calculus import kronecker as kr
from matcalc.cli.app import app
from matcalc.calculus.expr import free_symbols
from matcalc.formats.numpy_code import identifier
from matcalc.formats.python_code import python_code
from oracle import numpy_habit
from test_jacobian import EINSTEIN, HESSIANS, JACOBIANS, KRONECKER, fd_hessian, fd_jacobian, instance, vec

TOLERANCE = 1e-5

DENOMINATOR = [  # (input, wrt, declare): the Jacobian transposed
    ("A x", "x", None),
    ("exp(x) / sum(exp(x))", "x", {"x": "vector"}),
    ("A X B", "X", None),
    ("tanh(W x + b)", "W", None),
    ("sin(a) x", "a", {"a": "scalar", "x": "vector"}),  # a scalar variable: a row
]


def cases():
    out = [pytest.param("jacobian", e, w, d, None, id=f"J {e} /{w}") for e, w, d, *_ in JACOBIANS + KRONECKER + EINSTEIN]
    out += [pytest.param("jacobian", e, w, d, "denominator", id=f"J^T {e} /{w}") for e, w, d in DENOMINATOR]
    out += [pytest.param("hessian", e, w, d, None, id=f"H {e} /{w}") for e, w, d, *_ in HESSIANS]
    out.append(pytest.param("hessian", "sin(a) b^T x", "a", {"a": "scalar"}, None, id="H of a scalar variable"))
    return out


def derivative(kind, expr, wrt, declare, layout=None):
    if kind == "hessian":
        return api.hessian(expr, wrt, declare)
    g = matcalc.diff(expr, wrt, declared=declare, layout=layout)
    assert isinstance(g, api.Derivative) and g.kind == "jacobian"
    return g


def run_module(code: str) -> dict:
    namespace = {"__name__": "pasted"}
    exec(compile(code, "<pasted>", "exec"), namespace)
    return namespace


def call(namespace, g, values):
    """The generated function on matcalc's own random data (vectors 1-D, scalars floats)."""
    function = namespace["f_grad_and_hessian" if g.kind == "hessian" else "f_and_jacobian"]
    args = {identifier(s.name): numpy_habit(values[s.name], s) for s in free_symbols(g.written)}
    with np.errstate(all="ignore"):
        return function(**args)


def habit(value: np.ndarray):
    """A 2-D value as the generated code holds it: a float for 1×1, a 1-D array for a row or a column."""
    if value.shape == (1, 1):
        return float(value[0, 0])
    return value.ravel() if 1 in value.shape else value


def close(got, want, what):
    assert np.shape(got) == np.shape(want), f"{what}: shape {np.shape(got)}, want {np.shape(want)}"
    err = numeric.relative_error(np.asarray(got, dtype=float), np.asarray(want, dtype=float))
    assert err < TOLERANCE, f"{what} differs by {err:.2e}"


@pytest.mark.parametrize("kind, expr, wrt, declare, layout", cases())
def test_module_passes_its_check_and_agrees_with_matcalc_and_finite_differences(kind, expr, wrt, declare, layout):
    g = derivative(kind, expr, wrt, declare, layout)
    code = output.python_module([g])
    namespace = run_module(code)
    check = namespace["check_hessian" if kind == "hessian" else "check_jacobian"]
    assert check() < TOLERANCE
    assert check(seed=1) < TOLERANCE
    positive = "log" in expr
    for seed in (0, 1):
        values, sizes = instance(g, seed, positive)
        got = call(namespace, g, values)
        with np.errstate(all="ignore"):
            close(got[0], habit(numeric.evaluate(g.written, values, sizes)), "the value")
            mine = numeric.evaluate(g.result, values, sizes)  # matcalc's result, 2-D
            if kind == "jacobian":
                fd = fd_jacobian(g.written, g.wrt, values, sizes)
                fd = fd.T if g.transposed else fd
            else:
                fd = fd_hessian(g.written, g.wrt, values, sizes)  # second differences of the value
                gradient = differentiate.gradient(g.expression, g.variable)
                close(got[1], numpy_habit(numeric.evaluate(gradient, values, sizes), g.variable), "the gradient")
                close(vec(got[1]), fd_jacobian(g.written, g.wrt, values, sizes)[0], "the gradient (finite differences)")
        derivative_out = got[-1]
        assert np.ndim(derivative_out) == 2, "a Jacobian or Hessian is a 2-D array"
        close(derivative_out, mine, f"{g} against matcalc's own result")
        close(derivative_out, fd, f"{g} against finite differences")


def test_jacobian_module_text():
    code = python_code([matcalc.diff("A X B", "X")])
    assert "def f_and_jacobian(A, X, B):" in code and "return value, jac_X" in code
    assert "    jac_X = np.kron(B.T, A)\n" in code
    assert "Returns value, jac_X = d vec(A X B)/d vec(X) = kron(B^T, A)." in code
    assert 'WRT = (("X", False),)' in code
    assert code.rstrip().endswith('print(f"check_jacobian: max relative error {check_jacobian():.1e}")')
    assert "check_gradient" not in code and "_numerical_gradient" not in code
    code = python_code([matcalc.diff("A x", "x", layout="denominator")])
    assert "jac_x_T = A.T" in code and 'WRT = (("x", True),)' in code and "denominator layout" in code


def test_shared_parts_are_computed_once():
    code = python_code([matcalc.diff("exp(x) / sum(exp(x))", "x", declared={"x": "vector"})])
    assert code.count("np.exp(x)") == 1 and code.count("np.sum(") == 1
    code = python_code([api.hessian("log(sum(exp(x)))", "x")])
    assert code.count("np.exp(x)") == 1 and code.count("np.sum(") == 1
    assert run_module(code)["check_hessian"]() < TOLERANCE


def test_a_scalar_variable_gives_a_column_and_a_1x1_hessian():
    g = matcalc.diff("sin(a) x", "a", declared={"a": "scalar", "x": "vector"})
    namespace = run_module(python_code([g]))
    value, jac = namespace["f_and_jacobian"](0.3, np.arange(4.0))
    assert np.shape(jac) == (4, 1) and np.allclose(jac[:, 0], np.cos(0.3) * np.arange(4.0))
    namespace = run_module(python_code([api.hessian("log(a) a^2", "a")]))
    value, grad, hess = namespace["f_grad_and_hessian"](2.0)
    assert np.ndim(grad) == 0 and np.isclose(grad, 2 * 2.0 * np.log(2.0) + 2.0)
    assert np.shape(hess) == (1, 1) and np.isclose(hess[0, 0], 3 + 2 * np.log(2.0))


def test_several_variables_in_one_module():
    gs = matcalc.diff("A x + B y", ["x", "y"])
    namespace = run_module(python_code(gs))
    A, B, x, y = np.ones((2, 3)), np.arange(8.0).reshape(2, 4), np.ones(3), np.ones(4)
    value, jac_x, jac_y = namespace["f_and_jacobian"](A, x, B, y)
    assert np.allclose(jac_x, A) and np.allclose(jac_y, B)
    assert namespace["check_jacobian"]() < TOLERANCE
    hs = api.hessians_of("x^T A x + y^T B y", ["x", "y"])
    namespace = run_module(python_code(hs))
    value, grad_x, hess_x, grad_y, hess_y = namespace["f_grad_and_hessian"](np.ones(2), 2 * np.eye(2), np.ones(3), np.eye(3))
    assert np.allclose(grad_x, 4 * np.ones(2)) and np.allclose(hess_x, 4 * np.eye(2)) and np.allclose(hess_y, 2 * np.eye(3))
    assert namespace["check_hessian"]() < TOLERANCE


def test_arguments_of_the_wrong_shape_are_refused():
    namespace = run_module(python_code([matcalc.diff("A X B", "X")]))
    with pytest.raises(AssertionError, match="X should be 3×4"):
        namespace["f_and_jacobian"](np.ones((2, 3)), np.ones((2, 4)), np.ones((4, 5)))


# -- the generated check fails on a wrong result ----------------------------------------------------

def check_of(g):
    return run_module(python_code([g]))["check_hessian" if g.kind == "hessian" else "check_jacobian"]


def test_check_jacobian_catches_a_wrong_jacobian():
    g = matcalc.diff("exp(x) / sum(exp(x))", "x", declared={"x": "vector"})
    one_term = g.replace(result=g.result.terms[0])  # the quotient rule forgotten
    with pytest.raises(AssertionError, match="Jacobian for x differs|differs from finite differences"):
        check_of(one_term)()


def test_check_jacobian_catches_rows_and_columns_swapped():
    g = matcalc.diff("(a^T x) x", "x", declared={"x": "vector"})  # square, not symmetric
    swapped = g.replace(result=kr.transpose(g.result))
    with pytest.raises(AssertionError, match="differs from finite differences"):
        check_of(swapped)()
    g = matcalc.diff("A x", "x", layout="denominator")
    with pytest.raises(AssertionError, match="has shape"):
        check_of(g.replace(transposed=False))()  # Aᵀ as if it were the numerator layout


def test_check_jacobian_catches_row_major_vec():
    g = matcalc.diff("A X B", "X")  # Bᵀ ⊗ A; A ⊗ Bᵀ has the same shape but is vec taken by rows
    t = g.typing
    row_major = g.replace(result=kr.kron(t.symbol("A"), kr.transpose(t.symbol("B"))))
    with pytest.raises(AssertionError, match="differs from finite differences"):
        check_of(row_major)()


def test_check_hessian_catches_a_wrong_hessian_and_a_wrong_gradient(monkeypatch):
    g = api.hessian("x^T x x^T x", "x")
    with pytest.raises(AssertionError, match="the Hessian for x differs"):
        check_of(g.replace(result=g.result.terms[0]))()
    from matcalc.calculus import algebra
    from matcalc.formats import python_code as module

    monkeypatch.setattr(module, "_gradient", lambda h: algebra.scale(2, differentiate.gradient(h.expression, h.variable)))
    with pytest.raises(AssertionError, match="the gradient for x differs"):
        check_of(g)()


# -- from the command line ---------------------------------------------------------------------------

def invoke(*args, stdin=None):
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 0, result.output + result.stderr
    return result


def test_diff_jacobian_from_the_command_line():
    namespace = run_module(invoke("diff", "A x", "x", "-f", "python").stdout)
    assert namespace["check_jacobian"]() < TOLERANCE
    A, x = np.arange(6.0).reshape(2, 3), np.ones(3)
    value, jac_x = namespace["f_and_jacobian"](A, x)
    assert np.allclose(value, A @ x) and np.allclose(jac_x, A)


def test_hessian_from_the_command_line():
    result = invoke("hessian", "x^T A x", "x", "-f", "python", "--check")
    assert "ok" in result.stderr
    namespace = run_module(result.stdout)
    assert namespace["check_hessian"]() < TOLERANCE
    A, x = np.arange(9.0).reshape(3, 3), np.array([1.0, 2.0, -1.0])
    value, grad_x, hess_x = namespace["f_grad_and_hessian"](x, A)
    assert np.isclose(value, x @ A @ x) and np.allclose(grad_x, (A + A.T) @ x) and np.allclose(hess_x, A + A.T)


def test_batches_write_one_module_per_line():
    result = invoke("diff", "-", "X", "-f", "python", stdin="A X B\n# a comment\nexp(X)\n")
    modules = result.stdout.split("import numpy as np\n")[1:]
    assert len(modules) == 2 and "2 ok, 0 failed" in result.stderr
    for module in modules:
        assert run_module("import numpy as np\n" + module)["check_jacobian"]() < TOLERANCE
    result = invoke("hessian", "-", "x", "-f", "python", stdin="x^T A x\nlog(sum(exp(x)))\n")
    modules = result.stdout.split("import numpy as np\n")[1:]
    assert len(modules) == 2
    for module in modules:
        assert run_module("import numpy as np\n" + module)["check_hessian"]() < TOLERANCE
