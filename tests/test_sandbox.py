"""The sandbox: a program that misbehaves gets a result saying which limit it met, and nothing outside changes.

Each escape is tried twice where it can be: in the sandbox, where it must fail and leave no trace (a
marker file that never appears, a listener that sees no connection, a process that stays alive), and
with the same program text in a plain subprocess (:func:`unconfined`), where it must succeed, so that
the test shows the sandbox is what stops it.  The layers are also tried one at a time
(:func:`test_each_layer_holds_alone`): each stops what it is for without the others.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import sandbox_worker as W
from assay.kernel.sandbox import STATUSES, CallResult, isolation, run_calls
from hypothesis import given, settings
from hypothesis import strategies as st

LAYERS = isolation()


def run(source: str, calls: list[list[Any]] | None = None, **limits: Any) -> list[CallResult]:
    """The program's ``f`` on each call (one call with no arguments by default), with short limits."""
    limits = {"seconds_per_call": 1.0, "memory_mb": 256, "total_seconds": 30.0, **limits}
    return run_calls(textwrap.dedent(source), "f", [[]] if calls is None else calls, **limits)


def unconfined(source: str, args: tuple[Any, ...], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The same program and call in a plain subprocess: what it does when nothing holds it."""
    script = textwrap.dedent(source) + f"\nprint(repr(f(*{args!r})))\n"
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=60,
                          check=False)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (True is not 1, (1,) is not [1])."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(k, j) and same(a[k], b[j]) for k, j in zip(a, b, strict=True))
    return bool(a == b)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1 that a test asks whether anyone connected."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.setblocking(False)
    yield s
    s.close()


def connected(s: socket.socket) -> bool:
    try:
        conn, _ = s.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


OK_AFTER = "def f(x=0):\n    return x + 1\n"


def still_runs() -> None:
    """Another program runs normally after a bad one."""
    [result] = run(OK_AFTER, [[41]])
    assert (result.status, result.value) == ("returned", 42)


# --- values ---------------------------------------------------------------------------------------------

VALUES: list[Any] = [
    None, True, False, 0, -1, 2**53 - 1, 2**53, -(2**53), 10**5000, -(10**5000) + 7, "", "plain",
    "\ud800 lone \udfff surrogates", "\x00\U0010ffff", [], (), (1,), [1, (2, [3])], ((),), {},
    {"a": 1, 2: "b", (3, "c"): [None], None: True, True: 0}, [[[]]], {"k": {"k": ()}},
]


def test_values_cross_exactly_both_ways() -> None:
    results = run("def f(x):\n    return x\n", [[v] for v in VALUES])
    for value, result in zip(VALUES, results, strict=True):
        assert result.status == "returned", (value, result)
        assert same(result.value, value), (value, result.value)


def test_a_huge_int_beyond_the_decimal_limit_is_exact_and_str_keeps_cpythons_limit() -> None:
    # The encoding is hex, so the worker keeps CPython's default 4,300-digit limit for the program's own str().
    [big, text] = run("def f(n, s):\n    return n * 3 if s else str(n)\n", [[10**9000, True], [10**9000, False]])
    assert big == CallResult("returned", 3 * 10**9000, seconds=big.seconds)
    assert text.status == "raised"
    assert text.error.startswith("ValueError: Exceeds the limit (4300 digits)")


text = st.text(st.characters(exclude_categories=()))  # lone surrogates too
hashable = st.recursive(st.none() | st.booleans() | st.integers() | st.integers(min_value=2**60) | text,
                        lambda inner: st.tuples(inner, inner), max_leaves=6)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**200), max_value=2**200) | text,
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple)
    | st.dictionaries(hashable, inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_encoding_round_trips_every_value(value: Any) -> None:
    text = json.dumps(W.encode(value), ensure_ascii=True)
    assert text.isascii()
    assert same(W.decode(json.loads(text)), value)


@settings(max_examples=5, deadline=None)
@given(st.lists(values, min_size=1, max_size=300))
def test_values_round_trip_through_the_worker_in_batches(batch: list[Any]) -> None:
    results = run("def f(x):\n    return x\n", [[v] for v in batch])
    assert all(r.status == "returned" and same(r.value, v) for r, v in zip(results, batch, strict=True))


def test_many_calls_come_back_in_order_across_batches() -> None:
    results = run("def f(i):\n    return i * i\n", [[i] for i in range(1000)])
    assert [r.value for r in results] == [i * i for i in range(1000)]


@pytest.mark.parametrize(("body", "name"), [
    ("return 1.5", "float"), ("return {1}", "set"), ("return frozenset()", "frozenset"), ("return b'x'", "bytes"),
    ("return [1, [2.0]]", "float"), ("return {1.5: 1}", "float"), ("return (i for i in ())", "generator"),
    ("return Loud()", "Loud"), ("return Int(3)", "Int"), ("return Str('x')", "Str"), ("return Lst()", "Lst"),
    ("return deep(101)", "a value nested deeper than 100 levels"),
    ("x = []; x.append(x); return x", "a value nested deeper than 100 levels"),
    ("return 'x' * (5 * 1024 * 1024)", "a value of 5242882 bytes encoded, over 4194304"),
])
def test_other_types_are_unrepresentable_by_name(body: str, name: str) -> None:
    source = f"""
        class Loud:
            def __repr__(self):
                open('repr-ran', 'w').write('the sandbox called __repr__')
                return 'a lie'
        class Int(int): pass
        class Str(str): pass
        class Lst(list): pass
        def deep(n):
            return [] if n == 0 else [deep(n - 1)]
        def f():
            {body}
        """
    [result] = run(source)
    assert result.status == "unrepresentable"
    assert result.error == name


@pytest.mark.parametrize("form", [
    1.5, float("nan"), {"int": "0x10"}, {"int": "0x0" + "1" * 20}, {"int": "123"}, {"int": 5}, 2**53, -(2**53),
    {"tuple": [1], "x": 1}, {"tuple": 1}, {"set": []}, {}, {"dict": [[1]]}, {"dict": [[[1], 2]]},
    {"dict": [[1, 2], [1, 3]]}, {"dict": [["a", 1.0]]}, [[[[]]]] * 0 + [1.5],
])
def test_the_decoder_refuses_what_the_encoder_never_writes(form: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each form fails for its own reason, said in the message
        W.decode(form)


def test_the_decoder_refuses_nesting_past_its_depth() -> None:
    form: Any = 1
    for _ in range(W.MAX_DEPTH + 1):
        form = [form]
    with pytest.raises(ValueError, match="nested deeper than 100"):
        W.decode(form)


def test_an_argument_the_encoding_cannot_carry_is_the_callers_error() -> None:
    with pytest.raises(TypeError, match=r"calls\[1\] has an argument the sandbox cannot pass: float"):
        run_calls(OK_AFTER, "f", [[1], [1.5]])
    with pytest.raises(TypeError, match=r"calls\[0\]=5 \(int\) is not a sequence of arguments"):
        run_calls(OK_AFTER, "f", [5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="memory_mb=10"):
        run_calls(OK_AFTER, "f", [[1]], memory_mb=10)
    assert run_calls(OK_AFTER, "f", []) == []


# --- the program and its calls --------------------------------------------------------------------------

def test_each_call_gets_fresh_arguments_and_the_module_runs_once() -> None:
    shared = [1, 2]
    source = """
        calls = []
        def f(xs):
            xs.append(0)
            calls.append(1)
            return len(xs), len(calls)
        """
    results = run(source, [[shared], [shared], [shared]])
    assert [r.value for r in results] == [(3, 1), (3, 2), (3, 3)]
    assert shared == [1, 2]


def test_a_raising_call_says_its_exception_and_the_next_call_runs() -> None:
    source = """
        class IndexError(Exception):
            pass
        def f(k):
            if k == 0:
                return [][1]
            if k == 1:
                raise IndexError('not the builtin one')
            if k == 2:
                raise KeyError
            return k
        """
    results = run(source, [[0], [1], [2], [3]])
    assert [(r.status, r.error) for r in results] == [
        ("raised", "IndexError: list index out of range"),
        ("raised", "__program__.IndexError: not the builtin one"), ("raised", "KeyError"), ("returned", "")]


def test_a_module_the_sandbox_lacks_is_no_evidence() -> None:
    [top] = run("import numpy\ndef f():\n    return 1\n")
    assert (top.status, top.error) == ("refused", "ModuleNotFoundError: No module named 'numpy' (the sandbox has "
                                                  "the standard library only) (at the program's top level)")
    [late] = run("def f():\n    from assay import kernel\n")
    assert late.status == "refused"


def test_the_entry_is_looked_up_as_a_call_would() -> None:
    assert run("def g():\n    return 1\n")[0].error == "NameError: name 'f' is not defined"
    assert run("f = 3\n")[0].error == "TypeError: 'int' object is not callable"


def test_sys_exit_is_raised_and_os_exit_is_a_crash_the_next_call_survives() -> None:
    source = """
        import os, sys
        started = []
        def f(k):
            started.append(k)
            if k == 0:
                sys.exit(3)
            if k == 1:
                os._exit(7)
            return started
        """
    results = run(source, [[0], [1], [2]])
    assert (results[0].status, results[0].error) == ("raised", "SystemExit: 3")
    assert (results[1].status, results[1].error) == ("crash", "the worker died (exit status 7)")
    assert (results[2].status, results[2].value) == ("returned", [2])  # a fresh worker ran the module again


def test_a_program_whose_top_level_fails_fails_every_call() -> None:
    [raised, _] = run("x = 1 // 0\ndef f():\n    return 1\n", [[], []])
    assert (raised.status, raised.error) == ("raised", "ZeroDivisionError: integer division or modulo by zero "
                                                       "(at the program's top level)")
    [looped] = run("while True:\n    pass\n", seconds_per_call=0.3)
    assert looped.status == "timeout"
    assert looped.error.endswith("(at the program's top level)")
    [syntax] = run("def f(:\n")
    assert syntax.status == "raised"
    assert syntax.error.startswith("SyntaxError: ")


def test_an_infinite_loop_is_a_timeout_and_a_fresh_worker_runs_the_next_call() -> None:
    source = """
        seen = []
        def f(k):
            seen.append(k)
            while k == 1:
                pass
            return seen
        """
    results = run(source, [[0], [1], [2]], seconds_per_call=0.3)
    assert (results[0].status, results[0].value) == ("returned", [0])
    assert results[1].status == "timeout"
    if results[1].error != "ran past 1.6 s of wall-clock time":  # a machine so loaded the worker got < 1/5 core
        assert results[1].error == "ran past its limit of 0.3 CPU seconds"
        assert results[1].seconds >= 0.3
    assert (results[2].status, results[2].value) == ("returned", [2])


def test_a_call_that_sleeps_is_stopped_by_the_wall_clock() -> None:
    [slept, after] = run("import time\ndef f(k):\n    time.sleep(k)\n    return k\n", [[600], [0]],
                         seconds_per_call=0.2)
    assert (slept.status, slept.error) == ("timeout", "ran past 1.4 s of wall-clock time")
    assert (after.status, after.value) == ("returned", 0)


def test_the_total_time_stops_the_run() -> None:
    results = run("def f():\n    while True:\n        pass\n", [[]] * 6, seconds_per_call=0.4, total_seconds=1.0)
    assert {r.status for r in results} == {"timeout"}
    assert results[-1].error == "not run: total time spent"  # 6 calls of 0.4 s each cannot fit in 1 s


def test_unbounded_allocation_is_a_memout_and_the_next_call_runs() -> None:
    source = """
        def f(k):
            hoard = []
            while k:
                hoard.append(bytearray(10**6))
            return k
        """
    [grew, after] = run(source, [[1], [0]], memory_mb=128)
    assert grew.status == "memout"
    assert (after.status, after.value) == ("returned", 0)


def test_what_a_program_prints_is_counted_and_discarded() -> None:
    source = """
        import os, sys
        def f():
            for _ in range(50):
                print('x' * 10**6)
            sys.stderr.write('é')
            sys.stdout.buffer.write(b'abc')
            os.write(1, b'{"n": 0, "status": "returned", "value": 666}\\n')  # fd 1 is /dev/null, not the replies
            return 'done'
        """
    [result] = run(source)
    assert (result.status, result.value, result.stdout_bytes) == ("returned", "done", 50 * (10**6 + 1) + 2 + 3)


def test_stdin_is_empty_and_inherited_descriptors_are_closed() -> None:
    fd = os.open(os.devnull, os.O_RDONLY)
    os.set_inheritable(fd, True)
    try:
        [read, probed] = run(f"import os\ndef f(k):\n    return input() if k else os.fstat({fd})\n", [[1], [0]])
    finally:
        os.close(fd)
    assert (read.status, read.error) == ("refused", "builtins.input")
    assert (probed.status, probed.error) == ("refused", "OSError: [Errno 9] Bad file descriptor (I/O in the sandbox)")
    [piped] = run("import sys\ndef f():\n    return sys.stdin.read()\n")
    assert (piped.status, piped.error) == ("refused", "assay.sandbox.stdin")


def test_the_environment_is_empty_and_changes_to_it_stay_in_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_SANDBOX_SECRET", "parent's")
    [seen, _] = run("import os\ndef f():\n    e = dict(os.environ)\n    os.environ['ASSAY_SET'] = '1'\n"
                    "    return e\n", [[], []])
    assert (seen.status, seen.value) == ("returned", {})
    assert "ASSAY_SET" not in os.environ


def test_str_hashing_is_the_same_in_every_worker() -> None:
    source = """
        import os
        def f(k):
            if k:
                os._exit(1)
            return list({'apple', 'pear', 'fig', 'kiwi'}), hash('x')
        """
    first, _, again = run(source, [[0], [1], [0]])  # the crash puts the third call in a fresh worker
    assert first.status == "returned"
    assert first.value == again.value == run(source, [[0]])[0].value


def test_the_folder_is_fresh_writable_within_limits_and_removed_after() -> None:
    source = """
        import os
        def f(size):
            listing = os.listdir('.')
            with open('scratch', 'w') as out:
                out.write('x' * size)
            return os.getcwd(), listing, os.path.getsize('scratch')
        """
    [small, big] = run(source, [[10], [2 * 1024 * 1024]])
    folder, listing, size = small.value
    assert (listing, size) == ([], 10)
    assert not os.path.exists(folder)
    # A failure the sandbox's limits cause is never the function's: not raised (a counterexample), refused.
    assert (big.status, big.error) == ("refused", "OSError: [Errno 27] File too large (I/O in the sandbox)")


# --- escapes: files ---------------------------------------------------------------------------------------

WRITES = [
    "open(MARKER, 'w').write('escaped')",
    "os.close(os.open(MARKER, os.O_CREAT | os.O_WRONLY))",
    "pathlib.Path(MARKER).write_text('escaped')",
    "open('inside', 'w').close(); os.rename('inside', MARKER)",
    "os.mkdir(MARKER)",
    "os.symlink('/etc/passwd', MARKER)",
    "open('inside', 'w').close(); shutil.copyfile('inside', MARKER)",
]


@pytest.mark.parametrize("write", WRITES)
def test_a_write_outside_the_folder_is_refused_and_leaves_no_file(write: str, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    source = f"import os, pathlib, shutil\nMARKER = {str(marker)!r}\ndef f():\n    {write}\n    return 'wrote'\n"
    [result] = run(source)
    assert result.status == "refused", result
    assert not marker.exists()
    still_runs()
    control = unconfined(source, (), tmp_path)
    assert control.returncode == 0, control.stderr
    assert os.path.lexists(marker)  # the same code, unconfined, does write it


def test_a_refusal_the_program_catches_still_makes_the_call_refused(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    source = f"""
        def f():
            try:
                open({str(marker)!r}, 'w')
            except OSError:
                return 'carried on'
        """
    [result] = run(source)
    assert (result.status, result.error) == (
        "refused", f"open {str(marker)!r} for writing, outside the sandbox's folder")
    assert not marker.exists()


@pytest.mark.parametrize("delete", ["os.remove(VICTIM)", "shutil.rmtree(FOLDER)", "os.unlink(VICTIM)",
                                    "os.truncate(VICTIM, 0)", "os.chmod(VICTIM, 0)"])
def test_deleting_or_changing_files_outside_is_refused(delete: str, tmp_path: Path) -> None:
    folder = tmp_path / "keep"
    folder.mkdir()
    victim = folder / "victim"
    victim.write_text("precious")
    source = f"import os, shutil\nVICTIM = {str(victim)!r}\nFOLDER = {str(folder)!r}\ndef f():\n    {delete}\n"
    [result] = run(source)
    assert result.status == "refused", result
    assert victim.read_text() == "precious"
    assert victim.stat().st_mode & 0o777 != 0
    control = unconfined(source, (), tmp_path)
    assert control.returncode == 0, control.stderr
    assert not victim.exists() or victim.read_text() != "precious" or victim.stat().st_mode & 0o777 == 0


def test_reading_outside_the_folder_and_the_python_library_is_refused(tmp_path: Path) -> None:
    # A program's only channel out is what it returns or raises, which verdicts show and the re-offload loop
    # sends back to the model: a program that could read files could hand on what it read.
    secret = tmp_path / "secret"
    secret.write_text("do not read")
    source = "def f(path):\n    return open(path).read()\n"
    results = run(source, [[str(secret)], ["/etc/passwd"]])
    assert [r.status for r in results] == ["refused", "refused"]
    assert unconfined(source, (str(secret),), tmp_path).stdout.strip() == "'do not read'"
    [listing] = run(f"import os\ndef f():\n    return os.listdir({str(tmp_path)!r})\n")
    assert listing.status == "refused"


def test_the_standard_library_still_imports() -> None:
    source = """
        import collections, datetime, decimal, fractions, functools, hashlib, heapq, itertools, math, random, re
        import statistics, string, typing
        def f():
            Point = collections.namedtuple('Point', 'x y')
            return (hashlib.sha256(b'x').hexdigest()[:8], math.comb(5, 2), re.sub('a', 'b', 'aa'),
                    str(fractions.Fraction(1, 3)), Point(1, 2).y, str(decimal.Decimal(1) / 4))
        """
    [result] = run(source)
    assert result == CallResult("returned", ("2d711642", 10, "bb", "1/3", 2, "0.25"), seconds=result.seconds)


# --- escapes: processes, signals, the network, ctypes ------------------------------------------------------

SPAWNS = [
    "os.fork()",
    "os.system('touch ' + MARKER)",
    "subprocess.run(['touch', MARKER])",
    "os.execv('/usr/bin/touch', ['touch', MARKER])",
    "os.posix_spawn('/usr/bin/touch', ['touch', MARKER], {})",
    "multiprocessing.Process(target=print).start()",
]


@pytest.mark.parametrize("spawn", SPAWNS)
def test_no_process_is_spawned(spawn: str, tmp_path: Path) -> None:
    marker = str(tmp_path / "marker")
    source = (f"import os, subprocess, multiprocessing\nMARKER = {marker!r}\ndef f():\n    {spawn}\n"
              "    return os.getpid()\n")
    [result] = run(source)
    assert result.status == "refused", result
    assert not os.path.exists(marker)
    still_runs()


def test_a_fork_below_the_audit_hook_fails_in_the_kernel(tmp_path: Path) -> None:
    # _posixsubprocess.fork_exec forks and execs without an audit event: seccomp (or RLIMIT_NPROC) stops it.
    if LAYERS["system calls"].startswith("none") and os.geteuid() == 0 and "nobody" not in LAYERS["user"]:
        pytest.skip(f"no seccomp here and the worker keeps uid 0: {LAYERS['system calls']}")
    marker = tmp_path / "marker"
    source = f"""
        import _posixsubprocess, os
        def f():
            r, w = os.pipe()
            return _posixsubprocess.fork_exec(
                [b'/usr/bin/touch', {str(marker).encode()!r}], [b'/usr/bin/touch'], True, (), None, None,
                -1, -1, -1, -1, -1, -1, r, w, False, False, 0, None, None, None, -1, None, False)
        """
    [result] = run(source)
    assert result.status == "refused"
    assert result.error in {"PermissionError: [Errno 1] Operation not permitted (I/O in the sandbox)",
                            "BlockingIOError: [Errno 11] Resource temporarily unavailable (I/O in the sandbox)"}
    time.sleep(0.2)
    assert not marker.exists()
    assert unconfined(source, (), tmp_path).returncode == 0
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()  # unconfined, the same call does spawn touch


def test_threads_do_not_start() -> None:
    source = "import threading\ndef f():\n    threading.Thread(target=print).start()\n"
    [result] = run(source)
    assert (result.status, result.error) == ("refused", "assay.sandbox.thread")
    [late] = run("def f():\n    import threading\n    threading.Thread(target=print).start()\n")
    assert (late.status, late.error) == ("refused", "assay.sandbox.thread")


def test_no_signal_reaches_another_process(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        source = f"import os, signal\ndef f():\n    os.kill({sleeper.pid}, signal.SIGKILL)\n"
        [result] = run(source)
        assert result.status == "refused"
        time.sleep(0.2)
        assert sleeper.poll() is None
        assert unconfined(source, (), tmp_path).returncode == 0
        assert sleeper.wait(timeout=10) == -signal.SIGKILL
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("connect", [
    "socket.create_connection(('127.0.0.1', PORT), timeout=2)",
    "s = socket.socket(); s.settimeout(2); s.connect(('127.0.0.1', PORT))",
    "urllib.request.urlopen(f'http://127.0.0.1:{PORT}/', timeout=2)",
])
def test_no_connection_reaches_a_listener(connect: str, listener: socket.socket, tmp_path: Path) -> None:
    port = listener.getsockname()[1]
    source = f"import socket, urllib.request\nPORT = {port}\ndef f():\n    {connect}\n    return 'connected'\n"
    [result] = run(source)
    assert result.status == "refused", result
    assert not connected(listener)
    control = subprocess.Popen([sys.executable, "-c", textwrap.dedent(source) + "\ntry: f()\nexcept Exception: pass\n"],
                               cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        while not connected(listener):
            assert time.monotonic() < deadline, "the unconfined program never connected"
            time.sleep(0.05)
    finally:
        control.kill()
        control.wait()


def test_ctypes_is_refused() -> None:
    [imported] = run("import ctypes\ndef f():\n    return ctypes.CDLL(None).getpid()\n")
    assert (imported.status, imported.error) == ("refused", "ctypes.dlopen (at the program's top level)")
    [late] = run("def f():\n    import ctypes\n    return ctypes.CDLL(None).getpid()\n")
    assert (late.status, late.error) == ("refused", "ctypes.dlopen")


# --- the worker's replies and its life -------------------------------------------------------------------

@pytest.mark.parametrize("forged", [
    b'{"n": 0, "status": "returned", "value": 1.5, "out": 0, "cpu": 0, "clock": 0}\n',
    b'{"n": 0, "status": "returned", "value": NaN, "out": 0, "cpu": 0, "clock": 0}\n',
    b'{"n": 0, "status": "returned", "value": ' + b"7" * 5000 + b', "out": 0, "cpu": 0, "clock": 0}\n',
    b'{"n": 0, "status": "accepted", "out": 0, "cpu": 0, "clock": 0}\n',
    b'{"n": 0, "status": "returned", "value": 1, "out": -1, "cpu": 0, "clock": 0}\n',
    b'{"n": 0, "status": "returned", "value": 1, "out": 0, "cpu": 0, "clock": 0, "extra": 1}\n',
    b'{"n": 5, "status": "returned", "value": 1, "out": 0, "cpu": 0, "clock": 0}\n',
    b'{"n": true, "status": "returned", "value": 1, "out": 0, "cpu": 0, "clock": 0}\n',
    b'{"n": 0, "status": "raised", "error": ["x"], "out": 0, "cpu": 0, "clock": 0}\n',
    b"\xff\xfe not json\n",
    b"[" * 100000 + b"\n",
    b"[1, 2]\n",
    "a line of 6 MB",
])
def test_a_reply_that_does_not_decode_costs_its_call_not_the_parent(forged: bytes | str) -> None:
    # The program writes straight onto the worker's reply pipe (fd 4): the parent must neither crash nor believe it.
    data = "b'x' * (6 * 1024 * 1024)" if forged == "a line of 6 MB" else repr(forged)
    source = f"import os\ndef f(k):\n    if k == 0:\n        os.write(4, {data})\n    return k\n"
    [lied, after] = run(source, [[0], [1]])
    assert lied.status == "crash"
    assert lied.error.startswith("the sandbox's worker wrote a reply that does not decode: ")
    assert (after.status, after.value) == ("returned", 1)


def test_the_worker_dies_with_its_parent(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import os, threading, time
        from assay.kernel.sandbox import run_calls
        threading.Thread(target=run_calls, daemon=True, args=("import time\\ndef f():\\n    time.sleep(600)\\n",
                         "f", [[]]), kwargs={"seconds_per_call": 600, "total_seconds": 600}).start()
        me, deadline = os.getpid(), time.time() + 30
        while time.time() < deadline:
            kids = [k for t in os.listdir(f"/proc/{me}/task")
                    for k in open(f"/proc/{me}/task/{t}/children").read().split()]
            if kids and "Seccomp:\\t2" in open(f"/proc/{kids[0]}/status").read():
                break  # closed in: past PR_SET_PDEATHSIG
            time.sleep(0.02)
        time.sleep(0.2)
        print(kids[0], flush=True)
        os._exit(0)
        """)
    if LAYERS["system calls"].startswith("none"):
        script = script.replace('"Seccomp:\\t2" in', '"" in')
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True,
                         cwd=tmp_path)
    worker = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not alive(worker)
    finally:
        if alive(worker):
            os.kill(worker, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_the_isolation_report_names_every_layer() -> None:
    assert set(LAYERS) == {"network", "user", "rlimits", "filesystem", "capabilities", "system calls",
                           "audit hook"}
    assert all(isinstance(v, str) and v for v in LAYERS.values())
    print(json.dumps(LAYERS, indent=1))  # pytest -s shows which layers ran on this machine


def test_statuses_are_the_interfaces() -> None:
    assert STATUSES == ("returned", "raised", "timeout", "memout", "crash", "refused", "unrepresentable")


# --- each layer alone ---------------------------------------------------------------------------------

LAYER_SCRIPT = """
import importlib.util, json, os, socket, sys
spec = importlib.util.spec_from_file_location("sandbox_worker", sys.argv[1])
W = importlib.util.module_from_spec(spec)
spec.loader.exec_module(W)
folder, marker, port, layer = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
if layer == "filesystem":
    ran = W.restrict_filesystem(folder)
elif layer == "system calls":
    ran = W.forbid_system_calls()
elif layer == "network":
    ran = W.enter_network_namespace()
else:
    sys.addaudithook(W.audit_hook(folder, W.library_folders(), []))
    ran = "audit hook"

def attempt(thunk):
    try:
        thunk()
        return "done"
    except OSError as e:
        return type(e).__name__

def fork():
    if os.fork() == 0:
        os._exit(0)

out = {"ran": ran, "write outside": attempt(lambda: open(marker, "w").close()),
       "write inside": attempt(lambda: open(os.path.join(folder, "x"), "w").close()),
       "read outside": attempt(lambda: open(sys.argv[6]).read()),
       "fork": attempt(fork), "connect": attempt(lambda: socket.create_connection(("127.0.0.1", port), 2).close())}
print(json.dumps(out))
"""

# What each layer must stop on its own (the audit hook stops all of them, in Python).
STOPS = {"filesystem": {"write outside", "read outside"}, "system calls": {"fork", "connect"},
         "network": {"connect"}, "audit hook": {"write outside", "read outside", "fork", "connect"}}


@pytest.mark.parametrize("layer", sorted(STOPS))
def test_each_layer_holds_alone(layer: str, tmp_path: Path, listener: socket.socket) -> None:
    folder, marker, secret = tmp_path / "folder", tmp_path / "marker", tmp_path / "secret"
    folder.mkdir()
    secret.write_text("x")
    out = subprocess.run([sys.executable, "-c", LAYER_SCRIPT, W.__file__, str(folder), str(marker),
                          str(listener.getsockname()[1]), layer, str(secret)],
                         capture_output=True, text=True, timeout=60, check=True, cwd=tmp_path)
    seen = json.loads(out.stdout)
    if seen["ran"].startswith("none"):
        pytest.skip(f"the {layer} layer cannot run here: {seen['ran']}")
    stops = STOPS[layer] | ({"connect"} if "no TCP" in seen["ran"] else set())  # Landlock ABI 4 has TCP too
    assert seen["write inside"] == "done"
    for action in ("write outside", "read outside", "fork", "connect"):
        assert (seen[action] != "done") == (action in stops), (action, seen)
    assert marker.exists() == ("write outside" not in stops)
    assert connected(listener) == ("connect" not in stops)
