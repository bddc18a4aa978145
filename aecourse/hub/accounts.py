"""The class roster and the Unix accounts a course server gives it."""

import csv
import grp
import pwd
import re
import secrets
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Unix account names that useradd takes everywhere (Debian's NAME_REGEX, 32 characters at most).
ACCOUNT_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
ROSTER_COLUMNS = ("id", "first_name", "last_name", "email")


class RosterError(ValueError):
    """A roster that cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Member:
    id: str
    first_name: str
    last_name: str
    email: str
    instructor: bool


def read_roster(path, instructors=()):
    """The roster (nbgrader's `db student import` columns, plus an optional `role` column whose
    value `instructor` marks an instructor); ``instructors`` adds instructors by id."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"{path}: no such roster file (columns {','.join(ROSTER_COLUMNS)}[,role])")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = rows[0].keys() if rows else []
    if "id" not in fields:
        raise RosterError(f"{path}: the first line must name the columns, with at least `id` "
                          f"(nbgrader's format: {','.join(ROSTER_COLUMNS)}); add a `role` column for instructors")
    members, seen = [], set()
    for line, row in enumerate(rows, start=2):
        name = (row.get("id") or "").strip()
        if not ACCOUNT_NAME.match(name):
            raise RosterError(f"{path}, line {line}: id {name!r} cannot be a Unix account name "
                              "(lower-case letters, digits, '_' or '-', starting with a letter, 32 at most)")
        if name in seen:
            raise RosterError(f"{path}, line {line}: id {name!r} appears twice")
        seen.add(name)
        role = (row.get("role") or "student").strip().lower()
        if role not in ("student", "instructor"):
            raise RosterError(f"{path}, line {line}: role {role!r} is neither `student` nor `instructor`")
        members.append(Member(name, (row.get("first_name") or "").strip(), (row.get("last_name") or "").strip(),
                              (row.get("email") or "").strip(), role == "instructor" or name in instructors))
    unknown = set(instructors) - seen
    if unknown:
        raise RosterError(f"--instructors names {', '.join(sorted(unknown))}, who are not in {path}: add them to it")
    return members


def account_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def create_account(member):
    """A new Unix account with a private home (mode 700) and a generated password; the password."""
    full_name = f"{member.first_name} {member.last_name}".strip()
    run(["useradd", "--create-home", "--shell", "/bin/bash", "--user-group", "--comment", full_name, member.id])
    Path(pwd.getpwnam(member.id).pw_dir).chmod(0o700)
    password = secrets.token_urlsafe(12)
    subprocess.run(["chpasswd"], input=f"{member.id}:{password}\n", text=True, check=True, capture_output=True)
    return password


def remove_account(name):
    # userdel exits 12 when the account had no mail spool to remove: the account is gone all the same.
    result = subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
    if account_exists(name):
        raise RuntimeError(f"userdel --remove {name} failed ({result.returncode}): {result.stderr.strip()}")


def add_to_group(name, group):
    if name not in grp.getgrnam(group).gr_mem:
        run(["usermod", "--append", "--groups", group, name])
        return True
    return False


def grant_traverse(paths):
    """Give others the right to traverse (not list) the folders above ``paths`` where they lack it,
    as every account's Python environment must be reachable; {folder: old mode} to restore."""
    changed = {}
    for path in paths:
        for folder in [Path(path), *Path(path).parents]:
            if folder.is_dir() and str(folder) not in changed:
                mode = stat.S_IMODE(folder.stat().st_mode)
                if not mode & stat.S_IXOTH:
                    changed[str(folder)] = mode
                    folder.chmod(mode | stat.S_IXOTH)
    return changed


def python_folders():
    """The folders every account's server must reach: the environment, its interpreter, its base."""
    import os
    import sys

    return [sys.prefix, str(Path(os.path.realpath(sys.executable)).parent), sys.base_prefix]
