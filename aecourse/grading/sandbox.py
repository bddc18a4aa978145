"""The grading kernel's jail: an IPython kernel inside bubblewrap (Linux namespaces).

Inside, student code sees the operating system read-only; the Python environment, the kit
and the course data read-only at neutral paths (/opt/python, /opt/venv, /opt/aecourse,
/data: no path of the grading machine); a throw-away, size-limited working folder holding a
copy of the student's plain data files (:mod:`.handin`); an empty home and /tmp that vanish
with it. It sees no network (a new network namespace), no other process, none of the course
folder (gradebook, source/, solutions/, other students' work, autograded/) and none of the
grader's home or environment: every process of the jail, bubblewrap's own included, starts
from a minimal environment. All its processes together have one process and memory limit
(:mod:`.limits`). The kernel talks to nbgrader over Unix sockets (ZMQ's ``ipc`` transport)
in a folder bound into the jail, since a new network namespace cannot reach the grader's ports.

``python -I -m aecourse.grading.sandbox --connection-file F --handin DIR`` is the kernel
command that :class:`aecourse.grading.execute.SandboxKernelManager` launches, in a neutral
working folder (never the student's: nothing the student handed in can be imported by it).
It enforces the jail's limits and a wall-clock limit for the whole notebook.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path

from aecourse.grading import handin, limits

INSIDE_HOME = "/home/student"
INSIDE_WORKDIR = f"{INSIDE_HOME}/notebook"
INSIDE_KERNEL_DIR = "/run/kernel"
INSIDE_DATA = "/data"
INSIDE_PYTHON = "/opt/python"  # the base interpreter's prefix
INSIDE_VENV = "/opt/venv"
INSIDE_KIT = "/opt/aecourse"  # holds the kit's package, aecourse/
MEMORY_LIMIT_ENV = "AECOURSE_KERNEL_MEMORY_GB"
PIDS_LIMIT_ENV = "AECOURSE_KERNEL_PIDS"
WALL_LIMIT_ENV = "AECOURSE_KERNEL_WALL_S"
DEFAULT_MEMORY_GB = 8
DEFAULT_PIDS = 512  # processes and threads of the whole jail (TensorFlow starts a few dozen threads)
DEFAULT_WALL_S = 600
#: Sizes of the jail's writable folders (tmpfs, in memory: they count in the memory limit).
SCRATCH_BYTES = 512 * 2 ** 20
TMP_BYTES = 512 * 2 ** 20
HOME_BYTES = 64 * 2 ** 20
FILE_SIZE_LIMIT = 2 ** 30
#: Where the wrapper leaves why the jail could not start, next to the connection file.
FAILURE_SUFFIX = ".jail-error"
STDERR_RELAY_BYTES = 64 * 2 ** 10

# Environment variables that reach the kernel; every other one (the grading secret, tokens,
# paths of the grader's machine) stays outside.
# Names, not prefixes, where a prefix is shared with other tools (TF_ is also Terraform's).
PASSED_PREFIXES = ("OMP_", "MKL_", "OPENBLAS_")
PASSED_NAMES = ("LANG", "LC_ALL", "TZ", "KERAS_BACKEND", "PYTHONWARNINGS", "MPLBACKEND", "AECOURSE_QUICK",
                "AECOURSE_STATIC_PLOTS", "AECOURSE_CARDIAC_SIZE", "NBGRADER_EXECUTION",
                "NBGRADER_VALIDATING", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS",
                "TF_NUM_INTEROP_THREADS", "TF_DETERMINISTIC_OPS", "TF_USE_LEGACY_KERAS")
# The few files of /etc a Python + TensorFlow kernel needs (fonts, time zone, libraries).
ETC_ENTRIES = ("alternatives", "fonts", "localtime", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
               "nsswitch.conf", "passwd", "group", "mime.types", "ssl")
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")

FIX = ("Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; it is part of "
       "`make setup` when run as root) and allow unprivileged user namespaces "
       "(`sudo sysctl -w kernel.unprivileged_userns_clone=1`, or on Ubuntu 24.04+ "
       "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`). "
       "Only on a single-user self-study machine, grade without the sandbox with "
       "AECOURSE_UNSAFE_NO_SANDBOX=1 (`aecourse-grade --unsafe-no-sandbox`).")


class SandboxUnavailable(RuntimeError):
    """The grading sandbox cannot be set up on this machine; the message says how to fix it."""


def unsafe_no_sandbox() -> bool:
    """True when the instructor explicitly chose to grade without the sandbox."""
    return os.environ.get("AECOURSE_UNSAFE_NO_SANDBOX") == "1"


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(f"The grading sandbox needs bubblewrap (`bwrap`), not found on PATH. {FIX}")
    return path


class Files:
    """Files handed to bubblewrap by descriptor (``--file FD`` / ``--ro-bind-data FD``)."""

    def __init__(self):
        self.opened = []

    def content(self, data: bytes) -> str:
        """A descriptor reading ``data``."""
        file = tempfile.TemporaryFile()
        file.write(data)
        file.seek(0)
        self.opened.append(file)
        return str(file.fileno())

    def plain(self, path: Path) -> str | None:
        """A descriptor on ``path`` if it is (still) a plain data file, opened without following a link."""
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            os.close(descriptor)
            return None
        self.opened.append(os.fdopen(descriptor, "rb"))
        return str(descriptor)

    @property
    def descriptors(self) -> list[int]:
        return [file.fileno() for file in self.opened]

    def close(self):
        for file in self.opened:
            file.close()


@functools.lru_cache(maxsize=1)
def check_available() -> None:
    """Start Python in the jail, from its neutral paths (once per process); raise
    SandboxUnavailable with the fix."""
    files = Files()
    command = [bwrap_path(), *namespace_flags(), *system_binds(), *python_binds(files),
               "--proc", "/proc", "--dev", "/dev", "--clearenv",
               *setenv(python_environment()), jail_python(), "-I", "-c", "import aecourse"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, env={}, pass_fds=files.descriptors,
                                preexec_fn=apply_limits)
    finally:
        files.close()
    if result.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap could not create the grading sandbox: "
                                 f"{result.stderr.strip()[-2000:] or f'exit status {result.returncode}'} (it ran with "
                                 f"{memory_limit_bytes() / 2 ** 30:g} GB of address space, ${MEMORY_LIMIT_ENV}). {FIX}")


def namespace_flags(as_root: bool | None = None) -> list[str]:
    """New namespaces for everything, no capabilities; a normal user also needs a user namespace to make them."""
    flags = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session", "--hostname", "grading"]
    if os.geteuid() == 0 if as_root is None else as_root:
        flags += ["--cap-drop", "ALL"]  # bwrap run by root keeps root's capabilities unless told
    else:
        flags.append("--unshare-user")
    return flags


def system_binds() -> list[str]:
    """Read-only operating system: /usr and its usual companions, a few files of /etc."""
    args = []
    for name in SYSTEM_DIRS:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_ENTRIES:
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def is_system_path(path: Path) -> bool:
    return any(str(path).startswith(f"/{d}/") for d in SYSTEM_DIRS)


def base_prefix() -> Path:
    return Path(sys.base_prefix).resolve()


def inside_base_prefix() -> str:
    """Where the base interpreter's prefix is seen in the jail: a system one where it is, else /opt/python."""
    return str(base_prefix()) if is_system_path(base_prefix()) else INSIDE_PYTHON


def in_venv() -> bool:
    return Path(sys.prefix).resolve() != base_prefix()


def jail_python() -> str:
    """The interpreter the jail runs, at its neutral path."""
    name = Path(sys.executable).resolve().name
    return f"{INSIDE_VENV}/bin/{name}" if in_venv() else f"{inside_base_prefix()}/bin/{name}"


def kit_folder() -> Path:
    import aecourse

    return Path(aecourse.__file__).resolve().parent


def python_binds(files: Files) -> list[str]:
    """The Python environment, read-only, at neutral paths: the base interpreter at /opt/python; a
    venv rebuilt at /opt/venv (a generated pyvenv.cfg, bin/ with the interpreter, the venv's
    site-packages bound); the kit's package at /opt/aecourse when it is not installed in
    site-packages (an editable install: its path hooks are replaced by /opt/aecourse)."""
    args = [] if is_system_path(base_prefix()) else ["--ro-bind", str(base_prefix()), INSIDE_PYTHON]
    if not in_venv():
        return args
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = Path(sys.executable).resolve()
    inside_interpreter = f"{inside_base_prefix()}/{interpreter.relative_to(base_prefix())}"
    system_site = (Path(sys.prefix) / "pyvenv.cfg").read_text().count("include-system-site-packages = true")
    config = (f"home = {Path(inside_interpreter).parent}\n"
              f"include-system-site-packages = {'true' if system_site else 'false'}\n"
              f"version = {sys.version.split()[0]}\n").encode()
    args += ["--dir", f"{INSIDE_VENV}/bin", "--symlink", inside_interpreter, jail_python(),
             "--symlink", jail_python(), f"{INSIDE_VENV}/bin/python",
             "--symlink", jail_python(), f"{INSIDE_VENV}/bin/python3",
             "--ro-bind-data", files.content(config), f"{INSIDE_VENV}/pyvenv.cfg"]
    site = Path(sysconfig.get_paths()["purelib"])
    inside_site = f"{INSIDE_VENV}/lib/{version}/site-packages"
    args += ["--ro-bind", str(site.resolve()), inside_site]
    kit = kit_folder()
    if site.resolve() not in kit.parents:
        args += ["--ro-bind", str(kit), f"{INSIDE_KIT}/{kit.name}"]
        args += hide_install_paths(site, inside_site, kit, files)
    return args


def hide_install_paths(site: Path, inside_site: str, kit: Path, files: Files) -> list[str]:
    """Cover site-packages' files that point at the kit's checkout (an editable install's .pth and
    finder, direct_url.json): the .pth now names /opt/aecourse, the others are emptied."""
    args = []
    for path in sorted(site.iterdir()):
        inside = f"{inside_site}/{path.name}"
        if path.suffix == ".pth" and str(kit.parent) in path.read_text(errors="replace") or \
                path.name.startswith("__editable__") and path.suffix == ".pth":
            args += ["--ro-bind-data", files.content(f"{INSIDE_KIT}\n".encode()), inside]
        elif path.name.startswith("__editable__") or path.suffix == ".egg-link":
            args += ["--ro-bind-data", files.content(b""), inside]
        elif path.suffix == ".dist-info" and (path / "direct_url.json").exists():
            args += ["--ro-bind-data", files.content(b"{}"), f"{inside}/direct_url.json"]
    return args


def data_binds() -> tuple[list[str], dict[str, str]]:
    """The course data folder (aecourse.paths), read-only at /data, and AECOURSE_DATA pointing there."""
    from aecourse import paths

    folder = paths.data_dir()
    if not folder.is_dir():
        return [], {}
    return ["--ro-bind", str(folder.resolve()), INSIDE_DATA], {"AECOURSE_DATA": INSIDE_DATA}


def python_environment() -> dict[str, str]:
    """What the jail's Python needs to start from its neutral paths."""
    env = {"PATH": f"{INSIDE_VENV}/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and not is_system_path(base_prefix()):
        env["LD_LIBRARY_PATH"] = f"{INSIDE_PYTHON}/lib"  # the interpreter's RUNPATH names its host prefix
    return env


def kernel_environment(extra: dict[str, str]) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name.startswith(PASSED_PREFIXES) or name in PASSED_NAMES}
    env.update(extra)
    env.update(python_environment())
    env.update({"HOME": INSIDE_HOME, "IPYTHONDIR": f"{INSIDE_HOME}/.ipython",
                "MPLCONFIGDIR": f"{INSIDE_HOME}/.matplotlib",
                "TF_CPP_MIN_LOG_LEVEL": "3", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                "LANG": os.environ.get("LANG", "C.UTF-8")})
    return env


def setenv(env: dict[str, str]) -> list[str]:
    return [arg for name, value in sorted(env.items()) for arg in ("--setenv", name, value)]


def scratch_binds(handin_dir: Path | None, files: Files) -> list[str]:
    """The kernel's working folder: a size-limited tmpfs holding a copy of the hand-in's plain
    data files (never a link, a special file or code: :mod:`.handin`)."""
    args = ["--size", str(HOME_BYTES), "--tmpfs", INSIDE_HOME,
            "--size", str(SCRATCH_BYTES), "--tmpfs", INSIDE_WORKDIR]
    if handin_dir is None:
        return args
    kept, _ = handin.sort_out(handin_dir, skip_suffixes=(".ipynb",), limit_bytes=SCRATCH_BYTES // 2)
    for folder in sorted({parent for relative in kept for parent in relative.parents if parent != Path(".")}):
        args += ["--dir", f"{INSIDE_WORKDIR}/{folder}"]
    for relative in kept:
        descriptor = files.plain(handin_dir / relative)
        if descriptor is not None:
            args += ["--perms", "0644", "--file", descriptor, f"{INSIDE_WORKDIR}/{relative}"]
    return args


def build_command(handin_dir: Path | None, kernel_dir: Path, connection_name: str, files: Files) -> list[str]:
    """The bwrap command line that runs an IPython kernel on ``kernel_dir/connection_name``,
    working in a scratch copy of ``handin_dir``'s data files."""
    data_args, data_env = data_binds()
    command = [bwrap_path(), *namespace_flags(), *system_binds(), *python_binds(files), *data_args,
               "--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
               *scratch_binds(handin_dir, files),
               "--bind", str(kernel_dir), INSIDE_KERNEL_DIR,
               "--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu",
               "--chdir", INSIDE_WORKDIR, "--clearenv", *setenv(kernel_environment(data_env))]
    command += [jail_python(), "-I", "-m", "ipykernel_launcher", "-f", f"{INSIDE_KERNEL_DIR}/{connection_name}",
                "--HistoryManager.hist_file=:memory:"]
    return command


def inside_connection_file(connection_file: Path) -> tuple[Path, str]:
    """Copy the connection file next to the kernel's sockets, with the socket prefix seen inside."""
    info = json.loads(connection_file.read_text())
    if info.get("transport") != "ipc":
        raise SandboxUnavailable("the sandboxed kernel needs the ipc transport (KernelManager.transport = 'ipc')")
    kernel_dir = Path(info["ip"]).parent
    info["ip"] = f"{INSIDE_KERNEL_DIR}/{Path(info['ip']).name}"
    name = "connection-inside.json"
    (kernel_dir / name).write_text(json.dumps(info))
    return kernel_dir, name


def apply_limits() -> None:
    """Per-process limits (address space, file size), inherited by every process of the jail; the
    limits of the jail as a whole are its control group's (:mod:`.limits`)."""
    limit = int(memory_limit_bytes())
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    if limits.unavailable() and os.geteuid() != 0:  # no control group: a per-user process limit
        pids = pids_limit()
        resource.setrlimit(resource.RLIMIT_NPROC, (pids, pids))


def memory_limit_bytes() -> int:
    return int(float(os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_GB)) * 2 ** 30)


def pids_limit() -> int:
    return int(os.environ.get(PIDS_LIMIT_ENV, DEFAULT_PIDS))


def relay_stderr(stream, sink: list) -> None:
    """Pass the jail's stderr on (the first STDERR_RELAY_BYTES of it), keeping its start in ``sink``."""
    relayed = 0
    for chunk in iter(lambda: stream.read1(4096), b""):
        if relayed < STDERR_RELAY_BYTES:
            sys.stderr.buffer.write(chunk[:STDERR_RELAY_BYTES - relayed])
            sys.stderr.flush()
            if not sink:
                sink.append(chunk[:2000])
        relayed += len(chunk)


def check_report() -> int:
    """``--check``: start Python in the jail, report the jail-wide limits; 0 when the jail works."""
    try:
        check_available()
    except SandboxUnavailable as error:
        print(f"The grading jail does not work here: {error}", file=sys.stderr)
        return 2
    missing = limits.unavailable()
    print("The grading jail works: Python, the kit and its libraries start inside it from neutral paths.")
    print(f"Jail-wide limits: {missing}" if missing else
          f"Jail-wide limits: {pids_limit()} processes and threads, {memory_limit_bytes() / 2 ** 30:g} GB of memory.")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run an IPython kernel in the grading sandbox.")
    parser.add_argument("--connection-file", type=Path)
    parser.add_argument("--handin", type=Path, help="the folder whose plain data files the kernel gets a copy of")
    parser.add_argument("--check", action="store_true", help="check that the jail works here, and say what it lacks")
    args, _ = parser.parse_known_args(argv)  # nbgrader may append kernel options
    if args.check:
        return check_report()
    if args.connection_file is None:
        parser.error("--connection-file is required")
    kernel_dir, name = inside_connection_file(args.connection_file)
    files = Files()
    command = build_command(args.handin, kernel_dir, name, files)
    wall = float(os.environ.get(WALL_LIMIT_ENV, DEFAULT_WALL_S))
    group = None if limits.unavailable() else limits.JailGroup(memory_limit_bytes(), pids_limit())

    failure = Path(f"{args.connection_file}{FAILURE_SUFFIX}")

    def start_jail():  # in the child, before bwrap: subprocess reports only that it failed, so say why here
        try:
            if group is not None:
                group.enter()
            apply_limits()
        except BaseException as error:
            failure.write_text(f"bubblewrap could not be started: {type(error).__name__}: {error}")
            raise

    # bwrap itself starts from an empty environment: it is the jail's process 1 (/proc/1/environ).
    try:
        process = subprocess.Popen(command, preexec_fn=start_jail, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   env={}, pass_fds=files.descriptors, cwd="/")
    except (OSError, subprocess.SubprocessError) as error:
        if not failure.exists():  # start_jail wrote the cause
            failure.write_text(f"bubblewrap could not be started: {type(error).__name__}: {error}")
        if group is not None:
            group.close()
        return 1
    finally:
        files.close()
    first_error = []
    relay = threading.Thread(target=relay_stderr, args=(process.stderr, first_error), daemon=True)
    relay.start()

    def stop(signum, frame):
        process.kill()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts come as messages (interrupt_mode)
    try:
        code = process.wait(timeout=wall)
    except subprocess.TimeoutExpired:
        process.kill()
        code = 124
    finally:
        process.kill()
        process.wait()
        if group is not None:
            group.close()
    relay.join(timeout=1)
    if code != 0:  # read by the grader only if the kernel never answered (a jail that could not start)
        said = first_error[0].decode(errors="replace").strip() if first_error else "nothing on stderr"
        ending = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        failure.write_text(f"the jail ended ({ending}): {said}")
    return code


if __name__ == "__main__":
    sys.exit(main())
