"""The sandbox worker: the one process in which assay runs a model's program, and the value encoding both sides speak.

Run as a script (``python -s -P -S -B sandbox_worker.py CONFIG``) by :func:`.sandbox.run_calls`, with
``PYTHONHASHSEED=0`` its only environment variable (cleared before the program runs), its cwd a fresh
temporary folder, stdin and stdout pipes to the parent and stderr an unlinked scratch file.  Before it
reads the program it closes itself in, each layer on its own so that one that is missing on a machine
leaves the others standing (:func:`isolate` says which ran):

1. it dies with its parent (``PR_SET_PDEATHSIG``); the protocol moves off fds 0 and 1, which become
   ``/dev/null``, so the program cannot write into the replies by printing;
2. a network namespace of its own (``unshare(CLONE_NEWNET)``, or with a user namespace where that is
   not allowed): no interface but a loopback that is down;
3. as root, when the Python library is readable by others, it becomes ``nobody``;
4. rlimits: address space, CPU seconds (a backstop: the parent times each call), file size, open
   files, processes, core dumps;
5. Landlock (Linux 5.13+): reads only under the Python library, the system's shared libraries and its
   folder, writes only in its folder; TCP bind and connect and signals outside the worker refused
   where the kernel's Landlock has them;
6. every capability dropped, ``no_new_privs``;
7. seccomp (x86_64): fork, clone, exec, sockets, setrlimit, ptrace, mount, namespaces, module
   loading and signals to other processes fail with EPERM;
8. an audit hook (``sys.addaudithook``, which cannot be removed) that refuses opening files outside
   its folder (reading, too, outside the Python library), changing files outside it, processes,
   sockets, ctypes, rlimits, signals, reading stdin and starting threads.  The hook is defence in depth:
   the layers above hold
   without it.  It refuses effects on the world, not introspection: the standard library itself
   reads frames (``namedtuple``, ``typing``), and a program that reaches the worker's state can
   only misreport its own calls.

Reading is refused because a program's only channel out is what it returns or raises, and that is
shown in verdicts and sent back to the model with a counterexample: a program that could read a
file could hand it on.  Then the worker reads the program and its calls as data (one JSON object per
line), executes the program's text as a module once, and calls its entry per call, one reply line
per call.  A program can lie about its own calls (it runs in this process); that can only make it
look wrong or unrunnable, never make assay accept it, and the parent decodes every reply strictly.

The encoding (:func:`encode`, :func:`decode`): ``None``, ``bool`` and ``str`` as themselves in JSON
(``ensure_ascii``, so lone surrogates travel as escapes), an ``int`` as a JSON number when
``|n| < 2**53`` and as ``{"int": hex}`` otherwise (hex is exact at any size and free of Python's
4,300-digit limit on decimal conversion), a ``list`` as an array, a ``tuple`` as ``{"tuple": [...]}``
and a ``dict`` as ``{"dict": [[key, value], ...]}`` (keys of these types, hashable).  Exact types
only: a subclass, a float, a set or an object is :class:`Unrepresentable`, named by its type.

Only the standard library is imported, at the top only what the parent needs for the encoding.
"""

from __future__ import annotations

import json
import os
import re
import sys

TYPE_CHECKING = False  # typing is not imported at run time: every fresh worker would pay for it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

__all__ = ["MAX_DEPTH", "MAX_VALUE_BYTES", "Unrepresentable", "decode", "encode", "isolate", "main"]

# Containers nest at most this deep in a value that crosses the boundary.
MAX_DEPTH: Final = 100
# The most bytes one encoded value may take.
MAX_VALUE_BYTES: Final = 4 * 1024 * 1024
# Ints in (-2**53, 2**53) travel as JSON numbers, the rest in hex.
_SAFE_INT: Final = 2**53
_HEX: Final = re.compile(r"-?0x(?:0|[1-9a-f][0-9a-f]*)")
# The longest exception message or type name a reply carries.
MAX_MESSAGE: Final = 300
# A program's files in its folder: each at most this big.
FILE_SIZE_BYTES: Final = 1024 * 1024
OPEN_FILES: Final = 32
NOBODY: Final = 65534


class Unrepresentable(Exception):
    """A value the encoding has no form for; the message names its type, or why."""


# --- the encoding, used by both sides ---------------------------------------------------------------

def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as the JSON-ready tagged form; :class:`Unrepresentable` for any other type."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if -_SAFE_INT < value < _SAFE_INT else {"int": hex(value)}
    if kind not in (list, tuple, dict):
        raise Unrepresentable(type_name(value))
    if depth >= MAX_DEPTH:
        raise Unrepresentable(f"a value nested deeper than {MAX_DEPTH} levels")
    if kind is list:
        return [encode(item, depth + 1) for item in value]
    if kind is tuple:
        return {"tuple": [encode(item, depth + 1) for item in value]}
    return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}


def decode(form: Any, depth: int = 0) -> Any:
    """The value of a tagged form; ValueError, saying what, for anything :func:`encode` does not make."""
    kind = type(form)
    if form is None or kind is bool or kind is str:
        return form
    if kind is int:
        if not -_SAFE_INT < form < _SAFE_INT:
            raise ValueError(f"the int {form} should have been written in hex")
        return form
    if depth >= MAX_DEPTH:
        raise ValueError(f"a value nested deeper than {MAX_DEPTH} levels")
    if kind is list:
        return [decode(item, depth + 1) for item in form]
    if kind is not dict or len(form) != 1:
        raise ValueError(f"not a value of the encoding: a {kind.__name__}")
    ((tag, body),) = form.items()
    if tag == "int" and type(body) is str and _HEX.fullmatch(body):
        number = int(body, 16)
        if -_SAFE_INT < number < _SAFE_INT:
            raise ValueError(f"the int {body} should have been a JSON number")
        return number
    if tag == "tuple" and type(body) is list:
        return tuple(decode(item, depth + 1) for item in body)
    if tag == "dict" and type(body) is list:
        out: dict[Any, Any] = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise ValueError("a dict entry is not a [key, value] pair")
            key = decode(pair[0], depth + 1)
            if not _hashable(key):
                raise ValueError(f"a dict key is a {type(key).__name__}")
            if key in out:
                raise ValueError("a dict has the same key twice")
            out[key] = decode(pair[1], depth + 1)
        return out
    raise ValueError(f"not a value of the encoding: the tag {str(tag)[:40]!r}")


def _hashable(key: Any) -> bool:
    kind = type(key)
    return key is None or kind in (bool, int, str) or (kind is tuple and all(_hashable(k) for k in key))


def type_name(value: Any) -> str:
    """The name of ``value``'s type, clipped, without calling its ``__repr__``."""
    try:
        name = str(type(value).__qualname__)
    except BaseException:  # a metaclass may make even this run the program's code
        name = "an object of a type whose name cannot be read"
    return name[:MAX_MESSAGE]


# --- closing the worker in ---------------------------------------------------------------------------

_PR_SET_PDEATHSIG: Final = 1
_PR_SET_NO_NEW_PRIVS: Final = 38
_PR_SET_SECCOMP: Final = 22
_SECCOMP_MODE_FILTER: Final = 2
_CLONE_NEWNET: Final = 0x40000000
_CLONE_NEWUSER: Final = 0x10000000


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _errno() -> str:
    import ctypes

    return os.strerror(ctypes.get_errno())


def die_with_parent(parent: int) -> None:
    """Get SIGKILL when the parent dies; exit now if it already has."""
    import signal

    _libc().prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def enter_network_namespace() -> str:
    """A network namespace of the worker's own; what ran, in words."""
    libc = _libc()
    if libc.unshare(_CLONE_NEWNET) == 0:
        return "network namespace"
    first = _errno()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return "user and network namespaces"
    return f"none (unshare: {first}; {_errno()}): sockets are refused by seccomp and the audit hook"


def become_nobody(folder: str) -> str:
    """As root, switch to ``nobody`` when it can still read the Python library; what ran, in words."""
    if os.geteuid() != 0:
        return f"uid {os.geteuid()}"
    if not all(_readable_by_others(p) for p in library_folders()):
        return "uid 0 kept: the Python library is not readable by nobody (capabilities are dropped)"
    try:
        os.chown(folder, NOBODY, NOBODY)
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    except OSError as why:
        if os.getuid() == NOBODY:
            raise  # half switched: better no worker than an unknown one
        return f"uid 0 kept: {why} (capabilities are dropped)"
    return f"uid {NOBODY} (nobody)"


def _readable_by_others(path: str) -> bool:
    """Whether a user with no rights of its own can list ``path`` and pass through every folder above it."""
    import stat

    parts = os.path.realpath(path).split(os.sep)
    for i in range(1, len(parts) + 1):
        here = os.sep + os.path.join(*parts[1:i]) if i > 1 else os.sep
        mode = os.stat(here).st_mode
        if not mode & stat.S_IXOTH or (i == len(parts) and not mode & stat.S_IROTH):
            return False
    return True


def library_folders() -> list[str]:
    """The folders the interpreter imports from (with ``-s -S``: the standard library only)."""
    return sorted({os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)})


def set_limits(memory_mb: int, cpu_seconds: int) -> None:
    """The rlimits: address space, CPU (the parent's timer comes first), files, processes, no core dumps."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file past its size limit fails to grow, with EFBIG
    cap = memory_mb * 1024 * 1024
    for limit, soft, hard in ((resource.RLIMIT_CORE, 0, 0), (resource.RLIMIT_FSIZE, FILE_SIZE_BYTES, FILE_SIZE_BYTES),
                              (resource.RLIMIT_NOFILE, OPEN_FILES, OPEN_FILES), (resource.RLIMIT_NPROC, 0, 0),
                              (resource.RLIMIT_MEMLOCK, 0, 0), (resource.RLIMIT_MSGQUEUE, 0, 0),
                              (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1), (resource.RLIMIT_AS, cap, cap)):
        inherited = resource.getrlimit(limit)[1]
        ceiling = hard if inherited == resource.RLIM_INFINITY else min(hard, inherited)  # hard limits only fall
        resource.setrlimit(limit, (min(soft, ceiling), ceiling))


# Landlock's access rights, by the ABI version that brought them.
_FS_RIGHTS: Final = ((1, (1 << 13) - 1), (2, 1 << 13), (3, 1 << 14), (5, 1 << 15))
_READ: Final = (1 << 2) | (1 << 3)  # read a file, list a folder
_READ_FILE: Final = 1 << 2
_SYSTEM_READABLE: Final = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache", "/dev/urandom")


def restrict_filesystem(folder: str) -> str:
    """Landlock: read the library, the system's shared libraries and ``folder``; write only ``folder``."""
    import ctypes

    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    abi = int(libc.syscall(444, None, 0, 1))  # landlock_create_ruleset(NULL, 0, VERSION)
    if abi < 1:
        return f"none (Landlock: {_errno()}): the audit hook refuses files outside the folder"
    fs = 0
    for since, rights in _FS_RIGHTS:
        fs |= rights if abi >= since else 0
    net = 0b11 if abi >= 4 else 0  # bind and connect over TCP
    scoped = 0b11 if abi >= 6 else 0  # abstract unix sockets and signals outside the domain
    fields = (fs, net, scoped)[: 1 if abi < 4 else 2 if abi < 6 else 3]
    attr = (ctypes.c_uint64 * len(fields))(*fields)
    _no_new_privs()
    ruleset = int(libc.syscall(444, ctypes.byref(attr), ctypes.sizeof(attr), 0))
    if ruleset < 0:
        return f"none (Landlock ruleset: {_errno()}): the audit hook refuses files outside the folder"
    try:
        for path in [*library_folders(), *_SYSTEM_READABLE]:
            if os.path.exists(path):
                _allow(libc, ruleset, path, _READ if os.path.isdir(path) else _READ_FILE)
        _allow(libc, ruleset, folder, fs)
        if libc.syscall(446, ruleset, 0) != 0:  # landlock_restrict_self
            return f"none (Landlock: {_errno()}): the audit hook refuses files outside the folder"
    except OSError as why:  # nothing is restricted until landlock_restrict_self succeeds
        return f"none (Landlock: {why}): the audit hook refuses files outside the folder"
    finally:
        os.close(ruleset)
    what = "reads of the library and the folder, writes in the folder"
    return f"Landlock ABI {abi}: {what}" + (", no TCP" if net else "") + (", no signals out" if scoped else "")


def _allow(libc: Any, ruleset: int, path: str, rights: int) -> None:
    import ctypes

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))

    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = PathBeneath(rights, fd)
        if libc.syscall(445, ruleset, 1, ctypes.byref(rule), 0) != 0:  # landlock_add_rule, PATH_BENEATH
            raise OSError(f"landlock_add_rule {path}: {_errno()}")
    finally:
        os.close(fd)


def _no_new_privs() -> None:
    if _libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(f"PR_SET_NO_NEW_PRIVS: {_errno()}")


def drop_capabilities() -> str:
    """Every capability gone: rlimits cannot be raised again, nor files of others read or written."""
    import ctypes

    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable, twice (64 bits): all zero
    if _libc().capset(header, data) != 0:
        return f"not dropped ({_errno()})"
    return "none"


# x86_64 system calls that fail with EPERM in the worker, and those allowed only on the worker itself.
_X86_64: Final = 0xC000003E
_DENIED_X86_64: Final = (
    56, 57, 58, 435, 59, 322,  # clone, fork, vfork, clone3, execve, execveat
    41, 53,  # socket, socketpair
    160,  # setrlimit (prlimit64 only reads, below)
    101, 310, 311, 434, 438, 424,  # ptrace, process_vm_readv/writev, pidfd_open, pidfd_getfd, pidfd_send_signal
    272, 308, 165, 166, 155, 161,  # unshare, setns, mount, umount2, pivot_root, chroot
    321, 298, 248, 249, 250, 175, 313, 176,  # bpf, perf_event_open, add_key, request_key, keyctl, modules
    169, 246, 320, 167, 168, 170, 171,  # reboot, kexec, swapon/off, sethostname, setdomainname
    425, 426, 427, 323, 135, 126,  # io_uring_*, userfaultfd, personality, capset
    428, 429, 430, 431, 432, 433, 442,  # the new mount API: open_tree ... fspick, mount_setattr
    129, 297,  # rt_sigqueueinfo, rt_tgsigqueueinfo
)
_SELF_ONLY_X86_64: Final = (62, 200, 234)  # kill, tkill, tgkill: first argument must be the worker's pid


def forbid_system_calls() -> str:
    """seccomp: the calls above fail with EPERM, on x86_64; what ran, in words."""
    import ctypes

    machine = os.uname().machine
    if machine != "x86_64":
        return f"none (seccomp filter written for x86_64, this is {machine})"
    errno_eperm, allow, kill = 0x00050001, 0x7FFF0000, 0x80000000
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    prog: list[tuple[int, int, int, int]] = [
        (ld, 0, 0, 4), (jeq, 1, 0, _X86_64), (ret, 0, 0, kill),  # another ABI: never
        (ld, 0, 0, 0), (jge, 0, 1, 0x40000000), (ret, 0, 0, errno_eperm),  # x32 calls
    ]
    for nr in _DENIED_X86_64:
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, errno_eperm)]
    for nr in _SELF_ONLY_X86_64:
        prog += [(jeq, 0, 4, nr), (ld, 0, 0, 16), (jeq, 1, 0, os.getpid()), (ret, 0, 0, errno_eperm),
                 (ld, 0, 0, 0)]
    # prlimit64(pid, resource, new, old): glibc's getrlimit too, so it may read (new == NULL), never set.
    prog += [(jeq, 0, 6, 302), (ld, 0, 0, 32), (jeq, 0, 2, 0), (ld, 0, 0, 36), (jeq, 1, 0, 0),
             (ret, 0, 0, errno_eperm), (ld, 0, 0, 0)]
    prog.append((ret, 0, 0, allow))

    class Filter(ctypes.Structure):
        _fields_ = (("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32))

    class Program(ctypes.Structure):
        _fields_ = (("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter)))

    filters = (Filter * len(prog))(*(Filter(*f) for f in prog))
    program = Program(len(prog), filters)
    _no_new_privs()
    if _libc().prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        return f"none (seccomp: {_errno()})"
    return "seccomp: no processes, sockets, rlimits, namespaces or signals to others"


# --- the audit hook ----------------------------------------------------------------------------------

class Refused(PermissionError):
    """What the audit hook raises in the program; the call it happens in is reported ``refused``."""


_REFUSED_EVENTS: Final = frozenset({
    "os.system", "os.exec", "os.posix_spawn", "os.fork", "os.forkpty", "subprocess.Popen", "pty.spawn",
    "os.kill", "os.killpg", "signal.pthread_kill", "resource.setrlimit", "resource.prlimit",
    "os.link", "os.symlink", "sys.addaudithook", "syslog.openlog", "syslog.syslog", "fcntl.ioctl",
    "webbrowser.open", "sqlite3.connect", "builtins.input",
    "assay.sandbox.stdin", "assay.sandbox.thread",  # raised by the worker's own stand-ins, below
})
_REFUSED_PREFIXES: Final = ("socket.", "ctypes.", "_winapi.", "winreg.")
# Events on paths: how many leading arguments are paths, and which arguments are a dir_fd.  Those that
# change something must stay in the folder; those that read (list) may also look in the Python library.
_CHANGING: Final = {
    "os.chdir": (1, ()), "os.chmod": (1, (2,)), "os.chown": (1, (3,)), "os.mkdir": (1, (2,)),
    "os.remove": (1, (1,)), "os.rmdir": (1, (1,)), "os.truncate": (1, ()), "os.utime": (1, (3,)),
    "os.setxattr": (1, ()), "os.removexattr": (1, ()), "os.rename": (2, (2, 3)), "shutil.rmtree": (1, (1,)),
    "shutil.chown": (1, ()), "shutil.move": (2, ()), "shutil.copyfile": (2, ()), "shutil.copytree": (2, ()),
    "shutil.copymode": (2, ()), "shutil.copystat": (2, ()), "tempfile.mkdtemp": (1, ()),
}
_READING: Final = {"os.listdir": (1, ()), "os.scandir": (1, ()), "os.listxattr": (1, ()),
                   "os.getxattr": (1, ()), "os.walk": (1, ()), "os.fwalk": (1, (4,)), "glob.glob": (1, ())}
_WRITE_FLAGS: Final = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def audit_hook(folder: str, readable: list[str], refusals: list[str]) -> Callable[[str, tuple[Any, ...]], None]:
    """The hook: refuses what a program in the sandbox may not do, and records each refusal in ``refusals``."""
    inside = folder.rstrip(os.sep) + os.sep
    read_roots = (*(p.rstrip(os.sep) + os.sep for p in readable), inside)
    devices = ("/dev/null", "/dev/urandom")

    def where(path: Any) -> str:
        path = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else str(path)
        return os.path.realpath(os.path.join(os.getcwd(), path)) + os.sep

    def refuse(what: str) -> None:
        if len(refusals) < 8:
            refusals.append(what[:MAX_MESSAGE])
        raise Refused(f"refused by the sandbox: {what}"[:MAX_MESSAGE])

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in _REFUSED_EVENTS or event.startswith(_REFUSED_PREFIXES):
            refuse(event)
        elif event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                refuse(f"open of file descriptor {path}")
            at = where(path)
            writing = any(c in str(mode) for c in "wax+") if mode is not None else bool(flags & _WRITE_FLAGS)
            if writing and not at.startswith(inside):
                refuse(f"open {str(path)[:200]!r} for writing, outside the sandbox's folder")
            if not at.startswith(read_roots) and at[:-1] not in devices:
                refuse(f"open {str(path)[:200]!r}, outside the sandbox's folder and the Python library")
            if mode is None and not at.startswith(inside) and os.path.isdir(at):
                refuse(f"open of the folder {str(path)[:200]!r}")  # a folder's fd would let dir_fd escape
        elif event in _CHANGING or event in _READING:
            count, dir_fds = _CHANGING.get(event) or _READING[event]
            roots = (inside,) if event in _CHANGING else read_roots
            if any(i < len(args) and args[i] is not None for i in dir_fds):
                refuse(f"{event} relative to a folder's file descriptor")
            for path in ("." if a is None else a for a in args[:count]):
                if not isinstance(path, int) and not where(path).startswith(roots):
                    refuse(f"{event} {str(path)[:200]!r}, outside the sandbox's folder")
        elif event == "mmap.__new__" and args[0] != -1:
            refuse("mmap of a file")

    return hook


def isolate(folder: str, memory_mb: int, cpu_seconds: int) -> dict[str, str]:
    """Every layer but the audit hook, in order; what ran, by layer (a layer that cannot run says why)."""
    done = {"network": enter_network_namespace(), "user": become_nobody(folder)}
    set_limits(memory_mb, cpu_seconds)
    done["rlimits"] = (f"address space {memory_mb} MB, CPU {cpu_seconds} s, files {FILE_SIZE_BYTES} bytes, "
                       f"{OPEN_FILES} open files, no processes, no core dumps")
    done["filesystem"] = restrict_filesystem(folder)
    done["capabilities"] = drop_capabilities()
    done["system calls"] = forbid_system_calls()
    done["audit hook"] = "files, processes, sockets, ctypes, rlimits, signals"
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]  # the program's own import of ctypes runs (and is refused) afresh
    return done


# --- the program's side of the worker ---------------------------------------------------------------

class _NoInput:
    """A program's sys.stdin: reading it is refused, since what a program reads is not its arguments."""

    encoding = "utf-8"
    closed = False

    def _refused(self, *_args: Any) -> Any:
        sys.audit("assay.sandbox.stdin")  # the hook refuses it

    read = readline = readlines = __next__ = _refused

    def __iter__(self) -> _NoInput:
        return self

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return True


def _no_threads() -> None:
    """Starting a thread is refused (seccomp would fail it anyway, with an error that looks like the program's)."""
    import _thread

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        sys.audit("assay.sandbox.thread")  # the hook refuses it

    for name in ("start_new_thread", "start_new"):
        setattr(_thread, name, refused)
    if "threading" in sys.modules:  # it took its own reference when imported
        setattr(sys.modules["threading"], "_start_new_thread", refused)  # noqa: B010 - private: not in the stubs


class _Output:
    """A program's sys.stdout and sys.stderr: counts what it prints and keeps none of it."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self) -> None:
        self.count = 0
        self.buffer = self  # print(..., file=sys.stdout.buffer) and .buffer.write(b) are counted too

    def write(self, text: Any) -> int:
        if isinstance(text, str):
            self.count += len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        elif isinstance(text, (bytes, bytearray, memoryview)):
            self.count += len(text)
        else:
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Nothing is kept."""

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def close(self) -> None:
        """Closing the program's output changes nothing."""

    @property
    def closed(self) -> bool:
        return False


def _describe(exc: BaseException, builtin_types: dict[str, type]) -> str:
    """``TypeName: message``, clipped; a type that is not a builtin's is named with its module."""
    kind = type(exc)
    name = type_name(exc)
    if builtin_types.get(name) is not kind:
        module = getattr(kind, "__module__", "?")
        name = f"{module if module != 'builtins' else '(program)'}.{name}"[:MAX_MESSAGE]
    try:
        message = str(exc)
    except BaseException:
        message = "(its message cannot be read)"
    return f"{name}: {message}"[:MAX_MESSAGE] if message else name


def main(argv: list[str]) -> None:  # pragma: no cover - runs in the worker process
    """The worker's life: close itself in, run the program's module, then answer each batch of calls."""
    import builtins
    import time

    config = json.loads(argv[1])
    folder = os.path.realpath(os.getcwd())
    die_with_parent(int(config["parent"]))
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    readable = library_folders()
    isolation = isolate(folder, int(config["memory_mb"]), int(config["cpu_seconds"]))
    os.environ.clear()
    builtin_types = {n: t for n, t in vars(builtins).items() if isinstance(t, type)}
    dumps, loads, process_time, encode_, decode_ = json.dumps, json.loads, time.process_time, encode, decode
    refusals: list[str] = []
    sys.addaudithook(audit_hook(folder, readable, refusals))
    output = _Output()
    for name in ("stdout", "stderr", "__stdout__", "__stderr__"):
        setattr(sys, name, output)
    for name in ("stdin", "__stdin__"):
        setattr(sys, name, _NoInput())
    _no_threads()
    reserve = [bytearray(1 << 20)]  # freed on MemoryError, so that the reply can still be written

    def send(message: dict[str, Any], value: str = "") -> None:
        text = dumps(message, ensure_ascii=True)
        data = (text[:-1] + ', "value": ' + value + "}" if value else text).encode("ascii") + b"\n"
        while data:
            data = data[os.write(replies, data):]

    def run(thunk: Callable[[], Any]) -> tuple[dict[str, Any], str]:
        """Run the program's code; its reply, and its value's encoding when it returned one."""
        refusals.clear()
        output.count = 0
        started = process_time()
        reply: dict[str, Any] = {"status": "returned"}
        value = ""
        try:
            returned = thunk()
            if not refusals:
                value = dumps(encode_(returned), ensure_ascii=True)
                if len(value) > MAX_VALUE_BYTES:
                    raise Unrepresentable(f"a value of {len(value)} bytes encoded, over {MAX_VALUE_BYTES}")
        except Unrepresentable as why:
            reply, value = {"status": "unrepresentable", "error": str(why)[:MAX_MESSAGE]}, ""
        except MemoryError:
            reserve.clear()
            reply, value = {"status": "memout", "error": "MemoryError: past the sandbox's address space"}, ""
        except OSError as exc:  # the sandbox's limits, not the function: no evidence about it either way
            reply, value = {"status": "refused", "error": _describe(exc, builtin_types) + " (I/O in the sandbox)"}, ""
        except ImportError as exc:  # the sandbox has the standard library only; where the program runs may not
            reply, value = {"status": "refused",
                            "error": _describe(exc, builtin_types) + " (the sandbox has the standard library only)"}, ""
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the program's too
            reply, value = {"status": "raised", "error": _describe(exc, builtin_types)}, ""
        if refusals:
            reply, value = {"status": "refused", "error": refusals[0]}, ""
        reply["out"] = output.count
        now = process_time()
        reply["cpu"], reply["clock"] = int((now - started) * 1e6), int(now * 1e6)
        if not reserve:
            reserve.append(bytearray(1 << 20))
        return reply, value

    send({"ready": isolation, "clock": int(process_time() * 1e6)})
    program = loads(requests.readline())
    source, entry = str(program["source"]), str(program["entry"])
    namespace: dict[str, Any] = {"__name__": "__program__", "__builtins__": builtins}

    def load() -> None:
        exec(compile(source, "<program>", "exec"), namespace)  # safe: the sandbox worker, closed in; nowhere else

    loaded, _ = run(load)
    send({"module": loaded})
    if loaded["status"] != "returned":
        os._exit(0)
    for line in requests:
        for number, arguments in loads(line)["calls"]:

            def call(arguments: list[Any] = arguments) -> Any:
                if entry not in namespace:
                    raise NameError(f"name {entry!r} is not defined")
                return namespace[entry](*decode_(arguments))

            reply, value = run(call)
            send({"n": number, **reply}, value)
    os._exit(0)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)
