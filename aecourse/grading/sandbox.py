"""The grading kernel's jail: an IPython kernel inside bubblewrap (Linux namespaces).

Inside, student code sees the operating system read-only, the Python environment and the
course data read-only, its own notebook folder read-write, and an empty home and /tmp that
vanish with it. It sees no network (a new network namespace), no other process, none of the
course folder (gradebook, source/, solutions/, other students' work) and none of the
grader's home. The kernel talks to nbgrader over Unix sockets (ZMQ's ``ipc`` transport) in
a folder bound into the jail, since a new network namespace cannot reach the grader's ports.

``python -m aecourse.grading.sandbox --connection-file F`` is the kernel command that
:class:`aecourse.grading.execute.SandboxKernelManager` launches, in the notebook's folder.
It enforces a memory limit and a wall-clock limit for the whole notebook.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

INSIDE_HOME = "/home/student"
INSIDE_WORKDIR = f"{INSIDE_HOME}/notebook"
INSIDE_KERNEL_DIR = "/run/kernel"
INSIDE_DATA = "/data"
MEMORY_LIMIT_ENV = "AECOURSE_KERNEL_MEMORY_GB"
WALL_LIMIT_ENV = "AECOURSE_KERNEL_WALL_S"
DEFAULT_MEMORY_GB = 8
DEFAULT_WALL_S = 600

# Environment variables that reach the kernel; every other one (the grading secret, tokens,
# paths of the grader's machine) stays outside.
PASSED_PREFIXES = ("NBGRADER_", "TF_", "OMP_", "MKL_", "OPENBLAS_")
PASSED_NAMES = ("LANG", "LC_ALL", "TZ", "KERAS_BACKEND", "PYTHONWARNINGS", "MPLBACKEND", "AECOURSE_QUICK",
                "AECOURSE_STATIC_PLOTS", "AECOURSE_GRADING_SEED", "AECOURSE_CARDIAC_SIZE")
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


@functools.lru_cache(maxsize=1)
def check_available() -> None:
    """Start a trivial command in the sandbox's namespaces (once per process); raise
    SandboxUnavailable with the fix."""
    command = [bwrap_path(), *namespace_flags(), *system_binds(), *python_binds(), "--proc", "/proc", "--dev", "/dev",
               sys.executable, "-c", "pass"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap could not create the grading sandbox: "
                                 f"{result.stderr.strip() or result.returncode}. {FIX}")


def namespace_flags(as_root: bool | None = None) -> list[str]:
    """New namespaces for everything; a normal user also needs a user namespace to make them."""
    flags = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session", "--hostname", "grading"]
    if not (os.geteuid() == 0 if as_root is None else as_root):
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


def python_binds() -> list[str]:
    """The Python environment, read-only: the venv, its base interpreter, the kit's package."""
    import aecourse

    places = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
              Path(aecourse.__file__).resolve().parent}
    args = []
    for place in sorted(places):
        if not any(str(place).startswith(f"/{d}/") for d in SYSTEM_DIRS):
            args += ["--ro-bind", str(place), str(place)]
    # A venv's bin/python links to the base interpreter: bind the venv at its own path too.
    if Path(sys.prefix) != Path(sys.prefix).resolve():
        args += ["--ro-bind", str(Path(sys.prefix).resolve()), sys.prefix]
    return args


def data_binds() -> tuple[list[str], dict[str, str]]:
    """The course data folder (aecourse.paths), read-only at /data, and AECOURSE_DATA pointing there."""
    from aecourse import paths

    folder = paths.data_dir()
    if not folder.is_dir():
        return [], {}
    return ["--ro-bind", str(folder.resolve()), INSIDE_DATA], {"AECOURSE_DATA": INSIDE_DATA}


def kernel_environment(extra: dict[str, str]) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name.startswith(PASSED_PREFIXES) or name in PASSED_NAMES}
    env.pop(WALL_LIMIT_ENV, None)
    env.pop(MEMORY_LIMIT_ENV, None)
    env.update(extra)
    env.update({"HOME": INSIDE_HOME, "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
                "IPYTHONDIR": f"{INSIDE_HOME}/.ipython", "MPLCONFIGDIR": f"{INSIDE_HOME}/.matplotlib",
                "TF_CPP_MIN_LOG_LEVEL": "3", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                "LANG": env.get("LANG", "C.UTF-8")})
    return env


def build_command(workdir: Path, kernel_dir: Path, connection_name: str) -> list[str]:
    """The bwrap command line that runs an IPython kernel on ``kernel_dir/connection_name``."""
    data_args, data_env = data_binds()
    env = kernel_environment(data_env)
    command = [bwrap_path(), *namespace_flags(), *system_binds(), *python_binds(), *data_args,
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", INSIDE_HOME,
               "--bind", str(workdir), INSIDE_WORKDIR, "--bind", str(kernel_dir), INSIDE_KERNEL_DIR,
               "--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu",
               "--chdir", INSIDE_WORKDIR, "--clearenv"]
    for name, value in sorted(env.items()):
        command += ["--setenv", name, value]
    command += [sys.executable, "-m", "ipykernel_launcher", "-f", f"{INSIDE_KERNEL_DIR}/{connection_name}",
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
    """Address-space and file-size limits, inherited by the sandboxed kernel."""
    gigabytes = float(os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_GB))
    limit = int(gigabytes * 2 ** 30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 ** 30, 2 ** 30))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run an IPython kernel in the grading sandbox.")
    parser.add_argument("--connection-file", required=True, type=Path)
    args, _ = parser.parse_known_args(argv)  # nbgrader may append kernel options
    kernel_dir, name = inside_connection_file(args.connection_file)
    command = build_command(Path.cwd(), kernel_dir, name)
    wall = float(os.environ.get(WALL_LIMIT_ENV, DEFAULT_WALL_S))
    # The kernel talks over its sockets; its stdout only holds a "connect to this kernel" banner.
    process = subprocess.Popen(command, preexec_fn=apply_limits, stdout=subprocess.DEVNULL)

    def stop(signum, frame):
        process.kill()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts come as messages (interrupt_mode)
    try:
        return process.wait(timeout=wall)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return 124


if __name__ == "__main__":
    sys.exit(main())
