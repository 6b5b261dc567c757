"""The grammar and the completion scripts are found in a checkout and in an installed wheel."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_checkout_uses_the_top_level_grammar():
    from matcalc.language.grammar import grammar_path

    if not (ROOT / "grammar" / "matcalc.lark").is_file():  # pragma: no cover
        pytest.skip("not a source checkout")
    import matcalc

    if Path(matcalc.__file__).resolve().parent != ROOT / "matcalc":
        pytest.skip("matcalc is imported from an installed wheel, not this checkout")
    assert grammar_path() == ROOT / "grammar" / "matcalc.lark"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (pip install hatchling)")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(ROOT)], check=True)
    return next(out.glob("matcalc_cli-*.whl"))


def test_wheel_ships_the_grammar(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "matcalc/grammar/matcalc.lark" in names
    assert "matcalc/cli/app.py" in names


def test_installed_wheel_finds_its_grammar(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from matcalc.language.grammar import grammar_path; from matcalc import diff;"
        "print(grammar_path()); print(diff('tr(ABA^TC)', 'A').text)"
    )
    run = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    path, result = run.stdout.splitlines()
    assert Path(path) == site / "matcalc" / "grammar" / "matcalc.lark"
    assert result == "C^T A B^T + C A B"


def test_installed_wheel_ships_the_completion_scripts(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from matcalc.cli.complete import script;"
            "sys.stdout.write(script('zsh'))")
    run = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    assert run.stdout == (site / "matcalc" / "completions" / "_matcalc").read_text()
    assert run.stdout == (ROOT / "completions" / "_matcalc").read_text()


def test_numpy_is_a_dependency_and_sympy_an_extra(wheel):
    """`pip install .` gives the whole tool: verify, --check and -f python need numpy (issue 12,
    item 9); sympy stays optional, for .to_sympy() only."""
    metadata = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    requires = [line.split(":", 1)[1].strip() for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:")]
    assert any(r.startswith("numpy") and "extra" not in r for r in requires), requires
    assert all("extra ==" in r for r in requires if r.startswith("sympy")), requires


def test_to_sympy_without_sympy_says_which_extra_to_install(monkeypatch):
    import matcalc

    result = matcalc.diff("tr(A B)", "A")
    monkeypatch.setitem(sys.modules, "sympy", None)  # `import sympy` raises ImportError, as if not installed
    with pytest.raises(matcalc.MatcalcError, match=r'pip install "matcalc-cli\[sympy\]"'):
        result.to_sympy()


def test_the_readme_python_session_runs_without_sympy(monkeypatch):
    """`pip install .` alone runs every README example (issue 12's "Done when"): the session
    with `import sympy` failing, as after the README's first command."""
    import doctest
    import re

    monkeypatch.setitem(sys.modules, "sympy", None)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        test = doctest.DocTestParser().get_doctest(block, {}, "README.md", str(ROOT / "README.md"), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test, out=lambda s: None)
        assert runner.failures == 0, f"{runner.failures} of {runner.tries} README lines need more than pip install ."
