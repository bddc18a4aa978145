"""aecourse-hub: a JupyterHub serving the course on this Linux machine, in one command (as root).

    aecourse-hub up --roster roster.csv [--instructors ID,...]   start (again: changes nothing)
    aecourse-hub status                                          what runs, where the logs are
    aecourse-hub down [--remove-accounts]                        stop all it started

`up` creates a Unix account with a generated password for every roster member (the passwords go to
a root-only file), a group for the instructors, nbgrader's exchange folder (world-writable, sticky),
restricts the course root to the instructors, imports the students' names into the gradebook, writes
the hub's configuration from the course's nbgrader_config.py and starts JupyterHub (PAM login, one
JupyterLab per user; see jupyterhub_config.py beside this file). Everything it created is recorded
in the state folder (state.json), which `down` reads.
"""

import argparse
import json
import os
import pprint
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from aecourse.hub import accounts
from aecourse.paths import REPO_ROOT

DEFAULT_STATE = Path("/var/lib/aecourse-hub")
DEFAULT_EXCHANGE = Path("/srv/nbgrader/exchange")
PROXY_PACKAGE = "configurable-http-proxy@5.3.0"
TEMPLATE = Path(__file__).with_name("jupyterhub_config.py")
SETTINGS_LINE = "SETTINGS = {}  # aecourse-hub up writes the settings here"
# What students must not read in the course root: the instructor notebooks and solutions, the
# gradebook (it stores the hidden tests), everyone's submissions, grades and feedback, the history.
PRIVATE = ("source", "solutions", "submitted", "autograded", "feedback", "gradebook.db", "reports", "exchange",
           ".git", "tests", ".grading_secret", "grades.csv", "grades-canvas.csv", "grades-moodle.csv", "lms_ids.csv")
# What the instructors write (as members of the instructors' group).
SHARED = ("source", "release", "submitted", "autograded", "feedback", "solutions", "gradebook.db", "reports")
# nbgrader's parts a student's JupyterLab leaves out: instructor tools only.
STUDENT_DISABLED_LAB = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                        "@jupyter/nbgrader:course-list")
STUDENT_DISABLED_SERVER = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")


class HubError(RuntimeError):
    """What stops `up`/`down`; the message says the fix."""


class Report:
    """What a command did, line by line; whether anything changed."""

    def __init__(self):
        self.changed = False

    def __call__(self, what, changed=True):
        self.changed |= changed
        print(("  changed   " if changed else "  unchanged ") + what, flush=True)


# -- state ---------------------------------------------------------------------------------------
def state_path(state_dir):
    return Path(state_dir) / "state.json"


def load_state(state_dir):
    path = state_path(state_dir)
    return json.loads(path.read_text()) if path.exists() else {}


def save_state(state_dir, state):
    path = state_path(state_dir)
    path.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    path.chmod(0o600)


def write_if_changed(path, text, mode):
    path = Path(path)
    if path.exists() and path.read_text() == text and stat.S_IMODE(path.stat().st_mode) == mode:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return True


# -- processes -----------------------------------------------------------------------------------
def process_cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def processes_of(uids):
    """{pid: command line} of the live processes owned by ``uids``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    cmdline = process_cmdline(entry.name)
                    if cmdline is not None:
                        found[int(entry.name)] = cmdline
            except FileNotFoundError:
                pass
    return found


def alive(pid, needle):
    """Whether process ``pid`` runs and its command line contains ``needle``."""
    cmdline = process_cmdline(pid) if pid else None
    return cmdline is not None and needle in cmdline


def stop(pid, timeout=30):
    """SIGTERM, then SIGKILL after ``timeout`` s; True once it is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process_cmdline(pid) is None or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return True
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


def answers(url, timeout=2):
    try:
        urllib.request.urlopen(url, timeout=timeout)
        return True
    except urllib.error.HTTPError:
        return True  # it answered, with an error page
    except OSError:
        return False


# -- the parts of `up` ---------------------------------------------------------------------------
def course_settings(course_root):
    """course_id from the course's nbgrader_config.py (run as nbgrader runs it)."""
    from traitlets.config.loader import PyFileConfigLoader

    config_file = course_root / "nbgrader_config.py"
    if not config_file.is_file():
        raise HubError(f"{config_file}: no nbgrader_config.py: pass --course-root the course root (the folder "
                       "that holds nbgrader_config.py and source/)")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    course_id = config.CourseDirectory.get("course_id") or ""
    if not course_id or not accounts.ACCOUNT_NAME.match(course_id):
        raise HubError(f"{config_file}: c.CourseDirectory.course_id must be set to a short lower-case name "
                       f"(found {course_id!r}): the exchange and the instructors' group are named after it")
    return course_id


def find_proxy(report):
    """configurable-http-proxy: in this environment's bin/, on PATH, or installed there from npm."""
    local = Path(sys.prefix) / "bin" / "configurable-http-proxy"
    found = local if local.exists() else shutil.which("configurable-http-proxy")
    if found:
        report(f"proxy: {found}", changed=False)
        return str(found)
    if shutil.which("npm") is None:
        raise HubError("JupyterHub's proxy, configurable-http-proxy, is missing and npm is not installed: "
                       "apt-get install npm (or install configurable-http-proxy on PATH), then run up again")
    result = subprocess.run(["npm", "install", "--global", "--prefix", sys.prefix, "--no-audit", "--no-fund",
                             PROXY_PACKAGE], capture_output=True, text=True)
    if result.returncode != 0 or not local.exists():
        raise HubError(f"npm install {PROXY_PACKAGE} failed:\n{result.stderr[-2000:]}")
    report(f"proxy: installed {PROXY_PACKAGE} into {local} (npm)")
    return str(local)


def ensure_accounts(members, group, state, report, passwords_file):
    created = state.setdefault("created_accounts", [])
    if not accounts.group_exists(group):
        accounts.run(["groupadd", group])
        state["created_group"] = group
        report(f"group {group} created (the instructors: write access to the course root)")
    passwords = {}
    for member in members:
        role = "instructor" if member.instructor else "student"
        if member.id in created and accounts.account_exists(member.id):
            report(f"account {member.id} ({role})", changed=False)
        elif accounts.account_exists(member.id):
            report(f"account {member.id} ({role}) exists already, not created here: its own password applies",
                   changed=False)
        else:
            passwords[member.id] = accounts.create_account(member)
            created.append(member.id)
            report(f"account {member.id} ({role}) created, password in {passwords_file}")
        if member.instructor and accounts.add_to_group(member.id, group):
            report(f"{member.id} added to group {group}")
    if passwords:
        old = passwords_file.read_text().splitlines()[1:] if passwords_file.exists() else []
        kept = [line for line in old if line.split(",")[0] not in passwords]
        lines = ["account,password", *kept, *(f"{name},{word}" for name, word in passwords.items())]
        write_if_changed(passwords_file, "\n".join(lines) + "\n", 0o600)


def ensure_mode(path, mode, report, gid=None):
    """Set ``path``'s mode (and group); say so only when it changes."""
    info = path.lstat()
    changed = False
    if gid is not None and info.st_gid != gid:
        os.chown(path, -1, gid, follow_symlinks=False)
        changed = True
    if stat.S_IMODE(info.st_mode) != mode:
        path.chmod(mode)
        changed = True
    return changed


def ensure_exchange(exchange, report):
    exchange.mkdir(parents=True, exist_ok=True)
    changed = ensure_mode(exchange, 0o1777, report)
    report(f"exchange {exchange} (mode 1777: world-writable, sticky, as nbgrader's docs say)", changed)


def ensure_course_permissions(course_root, group, venv_inside, report):
    """The course root belongs to the instructors' group; students can list none of it and read
    none of PRIVATE. Others keep traverse rights on the root only when the students' Python
    environment lives inside it."""
    import grp

    gid = grp.getgrnam(group).gr_gid
    changed = ensure_mode(course_root, 0o2771 if venv_inside else 0o2770, report, gid)
    for name in SHARED:
        top = course_root / name
        if not top.exists():
            continue
        for path in [top, *top.rglob("*")] if top.is_dir() else [top]:
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.lstat().st_mode) | (0o2070 if path.is_dir() else 0o060)
            changed |= ensure_mode(path, mode & ~0o007 if name in PRIVATE else mode, report, gid)
    for name in PRIVATE:
        path = course_root / name
        if path.exists() and not path.is_symlink() and name not in SHARED:
            changed |= ensure_mode(path, stat.S_IMODE(path.lstat().st_mode) & ~0o007, report)
    report(f"course root {course_root}: group {group}, no access for others to "
           f"{', '.join(n for n in PRIVATE if (course_root / n).exists())}", changed)


def ensure_gradebook_names(course_root, members, state_dir, group, report):
    """The students' names in the gradebook (nbgrader db student import), when they differ."""
    from aecourse.course import Course

    course = Course(course_root)
    students = [m for m in members if not m.instructor]
    with course.gradebook() as gradebook:
        known = {s.id: (s.first_name or "", s.last_name or "", s.email or "") for s in gradebook.students}
    missing = [m for m in students if known.get(m.id) != (m.first_name, m.last_name, m.email)]
    if missing:
        roster = Path(state_dir) / "gradebook_roster.csv"
        roster.write_text("id,first_name,last_name,email\n" +
                          "".join(f"{m.id},{m.first_name},{m.last_name},{m.email}\n" for m in missing))
        course.run("db", "student", "import", roster)
    database = course_root / "gradebook.db"
    if database.exists():
        import grp

        ensure_mode(database, 0o660, report, grp.getgrnam(group).gr_gid)
    report(f"gradebook: {len(students)} students' names ({len(missing)} imported)", bool(missing))


def jupyter_configs(state_dir, course_root, course_id, exchange, report):
    """A Jupyter config folder per role (JUPYTER_CONFIG_PATH of their servers)."""
    base = Path(state_dir) / "jupyter"
    student, instructor = base / "student", base / "instructor"
    files = {
        student / "nbgrader_config.py": ("c = get_config()  # noqa: F821\n"
                                         f"c.CourseDirectory.course_id = {course_id!r}\n"
                                         f"c.Exchange.root = {str(exchange)!r}\n"),
        student / "jupyter_server_config.json": json.dumps(
            {"ServerApp": {"jpserver_extensions": {name: False for name in STUDENT_DISABLED_SERVER}}}, indent=1),
        student / "labconfig" / "page_config.json": json.dumps(
            {"disabledExtensions": {name: True for name in STUDENT_DISABLED_LAB}}, indent=1),
        # The instructor's servers start in their home: the formgrader reads the course's own config.
        instructor / "nbgrader_config.py": ("c = get_config()  # noqa: F821\n"
                                            f"load_subconfig({str(course_root / 'nbgrader_config.py')!r})\n"),
    }
    changed = False
    for folder in [base, student, student / "labconfig", instructor]:
        folder.mkdir(parents=True, exist_ok=True)
        changed |= ensure_mode(folder, 0o755, report)
    for path, text in files.items():
        changed |= write_if_changed(path, text, 0o644)
    report(f"Jupyter settings per role: {base}", changed)
    return {"student": str(student), "instructor": str(instructor)}


def hub_config_text(settings):
    template = TEMPLATE.read_text()
    if SETTINGS_LINE not in template:
        raise HubError(f"{TEMPLATE}: the line {SETTINGS_LINE!r} is missing: restore it (up fills it in)")
    return template.replace(SETTINGS_LINE, "SETTINGS = " + pprint.pformat(settings, width=100))


def start_hub(state_dir, config_file, settings, report):
    logs = Path(state_dir) / "logs"
    log_file = logs / "jupyterhub.log"
    environment = {"PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                   "HOME": os.environ.get("HOME", "/root")}
    with open(log_file, "a") as log:
        log.write(f"\n--- aecourse-hub up, {time.strftime('%Y-%m-%d %H:%M:%S %Z')} ---\n")
        log.flush()
        hub = subprocess.Popen([str(Path(sys.prefix) / "bin" / "jupyterhub"), "-f", str(config_file)],
                               cwd=state_dir, env=environment, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{settings['port']}/hub/api/"
    deadline = time.monotonic() + 90
    while not answers(url):
        if hub.poll() is not None or time.monotonic() > deadline:
            if hub.poll() is None:
                stop(hub.pid)
            tail = log_file.read_text()[-3000:]
            raise HubError(f"JupyterHub did not start (see {log_file}):\n{tail}")
        time.sleep(0.5)
    report(f"JupyterHub started (pid {hub.pid})")
    return hub.pid


def up(args):
    report = Report()
    state_dir = Path(args.state_dir).resolve()
    course_root = Path(args.course_root).resolve()
    exchange = Path(args.exchange).resolve()
    instructors = [name for name in (args.instructors or "").split(",") if name]
    members = accounts.read_roster(args.roster, instructors)
    course_id = course_settings(course_root)
    group = f"{course_id}-instructors"
    print(f"aecourse-hub up: course {course_id!r} at {course_root}, state in {state_dir}")
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o711)  # users reach jupyter/ (their settings); the rest is root's
    (state_dir / "logs").mkdir(mode=0o700, exist_ok=True)
    state = load_state(state_dir)
    passwords_file = state_dir / "passwords.csv"
    proxy = find_proxy(report)
    granted = accounts.grant_traverse(accounts.python_folders())
    state.setdefault("granted_traverse", {}).update(granted)
    report("Python environment reachable by every account" + (
        f": traverse right (o+x) added to {', '.join(granted)}, taken back by down" if granted else ""), bool(granted))
    ensure_accounts(members, group, state, report, passwords_file)
    save_state(state_dir, state)
    ensure_exchange(exchange, report)
    venv_inside = Path(sys.prefix).resolve().is_relative_to(course_root)
    ensure_course_permissions(course_root, group, venv_inside, report)
    ensure_gradebook_names(course_root, members, state_dir, group, report)
    config_path = jupyter_configs(state_dir, course_root, course_id, exchange, report)
    bin_dir = Path(sys.prefix) / "bin"
    settings = {
        "ip": args.ip, "port": args.port, "hub_port": args.port + 81, "proxy_api_port": args.port + 1,
        "ssl_cert": args.ssl_cert or "", "ssl_key": args.ssl_key or "",
        "proxy": proxy, "proxy_pid_file": str(state_dir / "proxy.pid"), "state_dir": str(state_dir),
        "students": sorted(m.id for m in members if not m.instructor),
        "instructors": sorted(m.id for m in members if m.instructor),
        "singleuser": str(bin_dir / "jupyterhub-singleuser"), "course_root": str(course_root),
        "config_path": config_path,
        "environment": {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                        "AECOURSE_EXCHANGE": str(exchange), "AECOURSE_COURSE_ROOT": str(course_root),
                        "TF_CPP_MIN_LOG_LEVEL": "3"},
    }
    config_file = state_dir / "jupyterhub_config.py"
    config_changed = write_if_changed(config_file, hub_config_text(settings), 0o600)
    report(f"JupyterHub configuration {config_file}", config_changed)
    running = alive(state.get("hub_pid"), "jupyterhub")
    if running and config_changed:
        stop(state["hub_pid"])
        report(f"JupyterHub stopped (pid {state['hub_pid']}): its configuration changed")
        running = False
    if running:
        report(f"JupyterHub running (pid {state['hub_pid']})", changed=False)
    else:
        state["hub_pid"] = start_hub(state_dir, config_file, settings, report)
    state.update(course_root=str(course_root), exchange=str(exchange), course_id=course_id, group=group,
                 url=f"{'https' if args.ssl_cert else 'http'}://{args.ip}:{args.port}/", settings=settings)
    save_state(state_dir, state)
    print(f"The course is served at {state['url']} (log in with the Unix account; passwords of the accounts "
          f"created here: {passwords_file}, root only). Logs: {state_dir / 'logs'}")
    if not args.ssl_cert and args.ip not in ("127.0.0.1", "localhost"):
        print("Plain HTTP: passwords cross the network in clear. Give --ssl-cert/--ssl-key, or put the hub "
              "behind a TLS proxy.")
    print("Nothing changed: the hub was already up as asked." if not report.changed else "Done.")
    return 0


def down(args):
    state_dir = Path(args.state_dir).resolve()
    state = load_state(state_dir)
    if not state:
        print(f"aecourse-hub down: no hub state in {state_dir} (nothing was started from there)")
        return 0
    pid = state.get("hub_pid")
    if alive(pid, "jupyterhub"):
        stop(pid)  # the hub stops the users' servers and the proxy itself
        print(f"  stopped JupyterHub (pid {pid}) and, through it, the users' servers and the proxy")
    state["hub_pid"] = None
    proxy_pid_file = state_dir / "proxy.pid"
    if proxy_pid_file.exists():
        proxy = int(proxy_pid_file.read_text().strip() or 0)
        if alive(proxy, "configurable-http-proxy"):
            stop(proxy)
            print(f"  stopped the proxy (pid {proxy}), which outlived the hub")
        proxy_pid_file.unlink()
    settings = state.get("settings", {})
    users = set(settings.get("students", [])) | set(settings.get("instructors", []))
    created = set(state.get("created_accounts", []))
    uids = {uid for uid in map(uid_of, users | created) if uid is not None}
    created_uids = {uid for uid in map(uid_of, created) if uid is not None}
    for pid, cmdline in processes_of(uids).items():
        # The users' servers; and, before their accounts go, anything else the created accounts run.
        if "jupyterhub-singleuser" in cmdline or (args.remove_accounts and uid_of_pid(pid) in created_uids):
            stop(pid, timeout=10)
            print(f"  stopped pid {pid}: {cmdline[:100]}")
    if args.remove_accounts:
        for name in sorted(created):
            if accounts.account_exists(name):
                accounts.remove_account(name)
                print(f"  removed account {name} and its home")
        state["created_accounts"] = []
        passwords = state_dir / "passwords.csv"
        if passwords.exists():
            passwords.unlink()
        group = state.pop("created_group", None)
        if group and accounts.group_exists(group):
            accounts.run(["groupdel", group])
            print(f"  removed group {group}")
    for folder, mode in state.pop("granted_traverse", {}).items():
        Path(folder).chmod(mode)
        print(f"  {folder}: traverse right for others taken back (mode {mode:o})")
    save_state(state_dir, state)
    left = processes_of(uids)
    print("Down." + (f" Still running as the roster's accounts (not started by the hub): {sorted(left)}"
                     if left else "") + f" Logs kept in {state_dir / 'logs'}.")
    if not args.remove_accounts and created:
        print(f"The accounts created by up are kept ({', '.join(sorted(created))}): "
              "down --remove-accounts removes them and their homes.")
    return 0


def uid_of(name):
    import pwd

    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def uid_of_pid(pid):
    try:
        return Path(f"/proc/{pid}").stat().st_uid
    except FileNotFoundError:
        return None


def status(args):
    state_dir = Path(args.state_dir).resolve()
    state = load_state(state_dir)
    if not state:
        print(f"No hub state in {state_dir}: aecourse-hub up --roster roster.csv starts one.")
        return 3
    settings = state.get("settings", {})
    pid = state.get("hub_pid")
    running = alive(pid, "jupyterhub")
    print(f"JupyterHub: {'running, pid ' + str(pid) if running else 'stopped'}; {state.get('url')}")
    print(f"course {state.get('course_id')!r} at {state.get('course_root')}; exchange {state.get('exchange')}")
    for role in ("students", "instructors"):
        names = settings.get(role, [])
        serving = {name for name in names
                   if any("jupyterhub-singleuser" in c for c in processes_of({uid_of(name)}).values())}
        print(f"{role}: " + ", ".join(f"{n}{' (server running)' if n in serving else ''}" for n in names))
    print(f"accounts created by up: {', '.join(state.get('created_accounts', [])) or 'none'}")
    print(f"configuration: {state_dir / 'jupyterhub_config.py'}; passwords: {state_dir / 'passwords.csv'} (root only)")
    print(f"logs: {state_dir / 'logs'}")
    return 0 if running else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="aecourse-hub", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", default=str(DEFAULT_STATE),
                        help=f"the hub's state, configuration, passwords and logs (default {DEFAULT_STATE})")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start the hub (again: changes nothing)")
    start.add_argument("--roster", required=True,
                       help="CSV with columns id,first_name,last_name,email (nbgrader's), and an optional "
                            "role column (student or instructor)")
    start.add_argument("--instructors", help="comma-separated roster ids who are instructors")
    start.add_argument("--course-root", default=os.environ.get("AECOURSE_COURSE_ROOT", str(REPO_ROOT)),
                       help="the course root, holding nbgrader_config.py (default: this checkout)")
    start.add_argument("--exchange", default=str(DEFAULT_EXCHANGE),
                       help=f"nbgrader's exchange folder (default {DEFAULT_EXCHANGE})")
    start.add_argument("--ip", default="0.0.0.0", help="address the hub listens on (default all)")
    start.add_argument("--port", type=int, default=8000,
                       help="the hub's public port (default 8000; it also uses port+1 and port+81 on 127.0.0.1)")
    start.add_argument("--ssl-cert", help="TLS certificate file (with --ssl-key): HTTPS")
    start.add_argument("--ssl-key")
    stop_parser = commands.add_parser("down", help="stop the hub, the proxy and every user's server")
    stop_parser.add_argument("--remove-accounts", action="store_true",
                             help="also remove the accounts (and homes) and the group that up created")
    commands.add_parser("status", help="what runs, who, and where the logs are")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.exit(2, "aecourse-hub needs root (it creates Unix accounts and starts servers as them): "
                       "run it with sudo\n")
    # nbgrader calls `alembic` as a program: this environment's bin/ comes first.
    os.environ["PATH"] = f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        return {"up": up, "down": down, "status": status}[args.command](args)
    except (HubError, accounts.RosterError, RuntimeError) as error:
        parser.exit(1, f"aecourse-hub {args.command}: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
