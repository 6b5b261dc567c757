"""Tab completion: the scripts in completions/ run in real bash, zsh and fish, and a request
for candidates loads neither SymPy nor NumPy (nor Typer or Rich, on the path the scripts use).

A shell that is not installed skips its tests with the reason; `.ci/run` installs all three.
"""
from __future__ import annotations

import os
import pty
import select
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPLETIONS = ROOT / "completions"
BIN = Path(sys.executable).parent  # the venv whose `matcalc` the scripts must call
sys.path.insert(0, str(ROOT / "scripts"))

import gen_completions  # noqa: E402

from matcalc.cli import complete  # noqa: E402


def _app_commands() -> set[str]:
    return {c.name for c in gen_completions.read_app().commands}


def _formats() -> set[str]:
    from matcalc.cli.app import Format

    return {f.value for f in Format}


def _rule_ids() -> set[str]:
    from matcalc.derivations.rules import RULES

    return {r.id for r in RULES}


COMMANDS = _app_commands()

# (id, the command line typed, cursor at its end, the candidates the shell must offer)
CASES = [
    ("commands", "matcalc ", COMMANDS),
    ("command-prefix", "matcalc di", {c for c in COMMANDS if c.startswith("di")}),
    ("options", "matcalc diff --f", {"--format", "--file"}),
    ("format-values", "matcalc diff -f ", _formats()),
    ("format-equals", "matcalc diff --format=la", {"latex"}),
    ("wrt", 'matcalc diff "tr(A B A^T C)" ', {"A", "B", "C"}),
    ("wrt-given-left-out", 'matcalc diff "tr(A B A^T C)" A ', {"B", "C"}),
    ("wrt-after-options", 'matcalc diff --check -f text "tr(A B A^T C)" ', {"A", "B", "C"}),
    ("wrt-prefix", 'matcalc diff "tr(A B A^T C)" B', {"B"}),
    ("wrt-as-written", r"matcalc diff '\mu^T A \mu' ", {r"\mu", "A"}),
    ("wrt-subscripts", "matcalc diff 'x_{12}^T W_2 x_{12}' ", {"x_{12}", "W_2"}),
    ("wrt-parse-error", 'matcalc diff "tr(A B" ', {"A", "B"}),
    ("declared-names", "matcalc diff 'x^T S x' x --symmetric ", {"x", "S"}),
    ("expression-nothing", "matcalc diff ", set()),
    ("verify-declared-names", "matcalc verify 'tr(A B) = tr(B A)' --symmetric ", {"A", "B"}),
    ("rule-ids", "matcalc rules ", None),  # filled in by _expected: the ids of matcalc.rules
    ("rule-id-prefix", "matcalc rules 3.", None),
]


def _expected(case_id: str, expected):
    if case_id.startswith("rule-id"):
        if "rules" not in COMMANDS:
            pytest.skip("the `rules` command is not in the Typer app yet")
        return {i for i in _rule_ids() if i.startswith("3.")} if case_id == "rule-id-prefix" else _rule_ids()
    return expected


def _environment(tmp_path: Path) -> dict:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_MATCALC", "_TYPER", "COMP_"))}
    # a private HOME, so no user's shell configuration or installed completion takes part
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(home),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"))
    return env


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if not (BIN / "matcalc").exists():
        pytest.skip(f"the matcalc command is not installed in {BIN} (pip install -e .)")
    return _environment(tmp_path_factory.mktemp("completion"))


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (`.ci/run` installs it with apt-get)")
    return path


# -- bash: call the completion function with COMP_WORDS / COMP_CWORD ----------------------------

def bash_words(line: str) -> list[str]:
    """COMP_WORDS as bash fills them: quotes kept, `--format=la` split at `=` (COMP_WORDBREAKS)."""
    words = []
    for word in shlex.split(line, posix=False):
        head, eq, tail = word.partition("=")
        words += [head, "=", *([tail] if tail else [])] if eq and word.startswith("--") else [word]
    if line.endswith(" "):
        words.append("")
    return words


def run_bash(script: Path, lines: list[str], env: dict) -> dict[str, set[str]]:
    program = [f"source {shlex.quote(str(script))}"]
    for line in lines:
        words = bash_words(line)
        program.append(
            f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
            f"COMP_LINE={shlex.quote(line)}; COMP_POINT={len(line)}; COMPREPLY=(); "
            "_matcalc; printf '%s\\n' \"${COMPREPLY[@]}\"; echo '<<END>>'")
    run = subprocess.run([_shell("bash"), "--norc", "--noprofile", "-c", "\n".join(program)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    blocks = run.stdout.split("<<END>>\n")
    return {line: {c for c in block.splitlines() if c} for line, block in zip(lines, blocks)}


def test_bash_words_match_what_bash_hands_over():
    # as recorded from an interactive bash 5.2 (declare -p COMP_WORDS inside the function)
    assert bash_words('matcalc diff "tr(A B A^T C)" ') == ["matcalc", "diff", '"tr(A B A^T C)"', ""]
    assert bash_words("matcalc diff --format=") == ["matcalc", "diff", "--format", "="]
    assert bash_words("matcalc diff --format=la") == ["matcalc", "diff", "--format", "=", "la"]


@pytest.fixture(scope="module")
def bash_results(env):
    return run_bash(COMPLETIONS / "matcalc.bash", [line for _, line, _ in CASES], env)


@pytest.mark.parametrize("case_id,line,expected", CASES, ids=[c[0] for c in CASES])
def test_bash(bash_results, case_id, line, expected):
    assert bash_results[line] == _expected(case_id, expected)


# -- zsh: a real interactive zsh on a pseudo-terminal, TAB pressed, compadd's matches recorded ---

ZSH_SETUP = r"""
PROMPT='' RPROMPT='' LISTMAX=100000
fpath=($MATCALC_COMPLETIONS $fpath)
autoload -Uz compinit && compinit -u -D
# Record what each compadd adds (after zsh's own matching), then add it as usual.
compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a __hits
  builtin compadd -O __hits "$@"
  (( $#__hits )) && print -rl -- $__hits >> $CAPTURE
  builtin compadd "$@"
}
_capture_complete() { _main_complete; print -r -- '<<END>>' >> $CAPTURE }
zle -C capture-complete complete-word _capture_complete
bindkey '^I' capture-complete
print -r -- '<<READY>>' >> $CAPTURE
"""


def run_zsh(completions: Path, lines: list[str], env: dict, tmp: Path) -> dict[str, set[str]]:
    zsh = _shell("zsh")
    capture, setup = tmp / "capture", tmp / "setup.zsh"
    setup.write_text(ZSH_SETUP)
    capture.write_text("")
    env = {**env, "CAPTURE": str(capture), "MATCALC_COMPLETIONS": str(completions), "TERM": "dumb"}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes zsh, or ends: never a second pytest
        try:
            os.chdir(tmp)
            os.execve(zsh, [zsh, "-f", "-i"], env)
        finally:
            os._exit(127)

    def wait_for(marker: str) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            while select.select([fd], [], [], 0)[0]:  # keep the terminal drained
                try:
                    os.read(fd, 65536)
                except OSError:
                    break
            text = capture.read_text()
            if marker in text:
                return text
            time.sleep(0.02)
        raise AssertionError(f"zsh did not answer; captured so far: {capture.read_text()!r}")

    results = {}
    try:
        os.write(fd, f"source {setup}\n".encode())
        wait_for("<<READY>>")
        for line in lines:
            capture.write_text("")
            os.write(fd, line.encode() + b"\t")
            results[line] = set(wait_for("<<END>>").split("<<END>>")[0].split("\n")) - {""}
            os.write(fd, b"\x15")  # ^U: clear the line for the next case
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    return results


@pytest.fixture(scope="module")
def zsh_results(env, tmp_path_factory):
    return run_zsh(COMPLETIONS, [line for _, line, _ in CASES], env, tmp_path_factory.mktemp("zsh"))


@pytest.mark.parametrize("case_id,line,expected", CASES, ids=[c[0] for c in CASES])
def test_zsh(zsh_results, case_id, line, expected):
    assert zsh_results[line] == _expected(case_id, expected)


# -- fish: complete -C --------------------------------------------------------------------------

def run_fish(script: Path, lines: list[str], env: dict) -> dict[str, set[str]]:
    program = "source $argv[1]; for line in $argv[2..-1]; complete -C $line; echo '<<END>>'; end"
    run = subprocess.run([_shell("fish"), "--no-config", "-c", program, str(script), *lines],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    results = {}
    for line, block in zip(lines, run.stdout.split("<<END>>\n")):
        token = line.rsplit(" ", 1)[-1]
        prefix = token.partition("=")[0] + "=" if token.startswith("--") and "=" in token else ""
        results[line] = {c.split("\t")[0].removeprefix(prefix) for c in block.splitlines() if c}
    return results


@pytest.fixture(scope="module")
def fish_results(env):
    return run_fish(COMPLETIONS / "matcalc.fish", [line for _, line, _ in CASES], env)


@pytest.mark.parametrize("case_id,line,expected", CASES, ids=[c[0] for c in CASES])
def test_fish(fish_results, case_id, line, expected):
    assert fish_results[line] == _expected(case_id, expected)


# -- the scripts are the generator's output ----------------------------------------------------

def test_checked_in_scripts_are_up_to_date():
    for name, text in gen_completions.render_all().items():
        path = COMPLETIONS / name
        assert path.is_file(), f"{path} is missing: run python scripts/gen_completions.py"
        assert path.read_text(encoding="utf-8") == text, \
            f"{path.name} is out of date: run python scripts/gen_completions.py"


def test_every_autocompletion_callback_is_known_to_the_scripts():
    """A callback the scripts cannot call would complete under Typer's scripts only."""
    root = gen_completions.read_app()
    diff = next(c for c in root.commands if c.name == "diff")
    assert {a.name: a.completer for a in diff.arguments} == {"expression": None, "wrt": "wrt"}
    by_name = {o.names[0]: o for o in diff.options}
    assert by_name["--symmetric"].completer == "names"
    assert set(by_name["--format"].values) == _formats()
    assert by_name["--file"].completer == "file"


# -- the candidates themselves --------------------------------------------------------------------

@pytest.mark.parametrize("expression,names", [
    ("tr(A B A^T C)", ["A", "B", "C"]),
    ("tr(ABA^TC)", ["A", "B", "C"]),
    (r"\mu^T A \mu", [r"\mu", "A"]),
    ("μ^T A μ + \\mu^T \\mu", ["μ", "A"]),         # one variable, first spelling kept
    ("x_{12}^T W_2 x_{12} + W1", ["x_{12}", "W_2", "W1"]),
    (r"\log|X| + tr(I X)", ["X"]),                    # functions and the identity are not variables
    (r"\nabla_A tr(A B)", ["A", "B"]),                 # A is in the body too
    (r"\nabla_A tr(B)", ["B"]),                        # ... but not only as the query's variable
    (r"\frac{1}{2} \|W x - y\|^2", ["W", "x", "y"]),
    ("tr(A B) = tr(B A)", ["A", "B"]),
    ("tr(A B", ["A", "B"]),                            # does not parse (yet): still its names
    ("tr(A ?? B) + log det X", ["A", "B", "X"]),
    ("", []),
])
def test_names_as_written(expression, names):
    assert complete.names_as_written(expression) == names


def names_by_parser(text: str) -> list[str]:
    """The oracle: the name nodes of matcalc.language.parser's tree (a query's body only), by position."""
    from matcalc.language.parser import canonical_name, parse

    line = parse(text)
    spans = [node.span for side in (line.lhs, line.rhs) if side is not None
             for node in getattr(side, "body", side).walk() if node.op == "name"]
    firsts, seen = [], set()
    for start, end in sorted(spans):
        if canonical_name(text[start:end]) not in seen:
            seen.add(canonical_name(text[start:end]))
            firsts.append(text[start:end])
    return firsts


def _corpus() -> list[str]:
    """Every input of the language tests, the Cookbook cases and the rule demos."""
    import test_language
    from cookbook_cases import CASES as COOKBOOK

    from matcalc.derivations.rules import RULES

    texts = [t for pair in test_language.SAME for t in pair] + list(test_language.QUERIES)
    texts += [case.expr for case in COOKBOOK] + [r.demo[0] for r in RULES if r.demo]
    texts += ["max(z, 0) + x", r"vec(X)^T (A \otimes B) vec(Y)", "ones^T x"]  # words beside the functions
    # a query's own variable, absent from its body, is not offered
    texts += [r"\nabla_A tr(B)", r"\nabla_{A^T} tr(B)", "d/dA tr(B)", r"\frac{\partial}{\partial A} tr(B)"]
    return sorted(set(texts))


def test_the_scan_finds_what_the_parser_finds():
    corpus = _corpus()
    assert len(corpus) > 100
    for text in corpus:
        assert complete.names_as_written(text) == names_by_parser(text), text


def test_wrt_candidates_leave_out_variables_already_given():
    assert complete.wrt_candidates("tr(A B A^T C)", ["A"]) == ["B", "C"]
    assert complete.wrt_candidates(r"\mu^T A \mu", ["mu"]) == ["A"]       # any spelling
    assert complete.wrt_candidates("tr(A X^T)", ["X^T"]) == ["A"]
    assert complete.wrt_candidates("-", []) == []                         # stdin: nothing typed


def _request(env: dict, shell: str, *argv: str, importtime=False) -> subprocess.CompletedProcess:
    """What the scripts run: the installed `matcalc` command, asked for values."""
    env = {**env, "_MATCALC_COMPLETE": f"values_{shell}"}
    if importtime:
        env["PYTHONPROFILEIMPORTTIME"] = "1"  # -X importtime, for a console script
    return subprocess.run([str(BIN / "matcalc"), *argv], capture_output=True, text=True, env=env, timeout=60)


def _imported(stderr: str) -> set[str]:
    return {line.split("|")[-1].strip().split(".")[0] for line in stderr.splitlines()
            if line.startswith("import time:")}


@pytest.mark.parametrize("argv,expected", [
    (["wrt", "", '"tr(A B A^T C)"'], "A\nB\nC\n"),
    (["wrt", "", r"'\log|X| + \lambda \|W x - y\|^2'"], "X\n\\lambda\nW\nx\ny\n"),  # lark-sized input
    (["wrt", "", '"tr(A B"'], "A\nB\n"),
    (["names", "", "'x^T S x'", "x"], "x\nS\n"),
])
def test_a_request_loads_neither_sympy_nor_numpy(env, argv, expected):
    run = _request(env, "bash", *argv, importtime=True)
    assert run.stdout == expected
    loaded = _imported(run.stderr)
    assert "matcalc.language.parser" in run.stderr  # the import log was read right: the check below means something
    heavy = {"sympy", "numpy", "typer", "rich", "lark"}
    assert not loaded & heavy, loaded & heavy


def test_a_request_loads_no_engine(env):
    """A TAB press stays near the interpreter's start-up: matcalc/__init__.py leaves the engine
    (the API, algebra, verify) unloaded for a completion request, and difflib is for errors."""
    run = _request(env, "bash", "wrt", "", '"tr(A B A^T C)"', importtime=True)
    assert run.stdout == "A\nB\nC\n"
    modules = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "matcalc.language.parser" in modules  # the import log was read right
    engine = {"matcalc.api", "matcalc.verify", "matcalc.calculus.algebra", "matcalc.language.kinds", "difflib"}
    assert not modules & engine, modules & engine


def test_rule_request(env):
    run = _request(env, "fish", "rule", "", importtime=True)
    assert {line.split("\t")[0] for line in run.stdout.splitlines()} == _rule_ids()
    assert all("\t" in line for line in run.stdout.splitlines())  # each with its title
    assert not _imported(run.stderr) & {"sympy", "numpy", "typer", "rich"}


def test_no_rule_table_no_rule_ids(monkeypatch):
    import matcalc.derivations

    monkeypatch.setitem(sys.modules, "matcalc.derivations.rules", None)  # as before the rule table existed
    monkeypatch.delattr(matcalc.derivations, "rules", raising=False)
    assert complete.rule_candidates() == []


def test_bash_words_are_unquoted_and_prefix_filtered(env):
    assert _request(env, "bash", "wrt", "\\m", r"'\mu^T A \mu'").stdout == "\\mu\n"
    assert _request(env, "zsh", "wrt", "", r"\mu^T A \mu", "A").stdout == "\\mu\n"
    assert _request(env, "bash", "nonsense", "").returncode == 1


# -- --show-completion and --install-completion give these scripts (Typer's own are not offered) --

@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_and_install_completion_give_the_fast_scripts(shell, tmp_path):
    env = _environment(tmp_path)
    shown = subprocess.run(["matcalc", "--show-completion", shell], capture_output=True, text=True,
                           env=env, timeout=60)
    assert shown.returncode == 0 and shown.stdout == (COMPLETIONS / complete.SCRIPTS[shell]).read_text()
    for _ in range(2):  # installing again changes nothing more
        run = subprocess.run(["matcalc", "--install-completion", shell], capture_output=True, text=True,
                             env=env, timeout=60)
        assert run.returncode == 0, run.stderr
    target, rc, line = complete.INSTALL[shell]
    home = Path(env["HOME"])
    assert (home / target).read_text() == shown.stdout
    if rc is not None:
        assert (home / rc).read_text().splitlines().count(line) == 1
    if shell == "bash":  # the installed script completes in a real bash, loaded as ~/.bashrc loads it
        assert run_bash(home / target, ['matcalc diff "tr(A B A^T C)" '], env) == {
            'matcalc diff "tr(A B A^T C)" ': {"A", "B", "C"}}


def test_completion_options_need_a_known_shell(tmp_path):
    run = subprocess.run(["matcalc", "--show-completion", "tcsh"], capture_output=True, text=True,
                         env=_environment(tmp_path), timeout=60)
    assert run.returncode == 2 and "tcsh" in run.stderr
