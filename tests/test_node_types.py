"""A node type's __init__ and key are written out when its first node is built (calculus/expr.py,
_write_out): the first node of a type, built before that or by another road, is the same node
as every later one. In a fresh interpreter, where no type has been written out yet."""
import subprocess
import sys

SCRIPT = """
from matcalc.calculus import expr as e

assert e.Kron.__init__ is e._first_node and e.MatMul.__init__ is e._first_node
k = e.Integer("k", (1, 1), False)  # a subclass first: Sym's own is written out
assert e.Sym.__init__ is not e._first_node and e.Integer.__init__ is e.Sym.__init__
assert k == e.Integer("k", (1, 1), False) and k != e.Sym("k", (1, 1), False)
A, B = e.Sym("A", ("m", "n"), False), e.Sym("B", ("n", "p"), False)
early = e.product_of_shape((A, B), ("m", "p"))  # built without MatMul's __init__, key still Expr's
assert e.MatMul.key is e.Expr.key
first, second = e.MatMul((A, B)), e.MatMul((A, B))
assert e.MatMul.key is not e.Expr.key
for node in (early, first):
    assert node == second and hash(node) == hash(second) and node.key() == second.key() == ((A, B),)
    assert node.shape == second.shape == ("m", "p") and repr(node) == repr(second)
print("ok")
"""


def test_the_first_node_of_a_type_is_built_as_every_later_one():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout == "ok\n", run.stderr
