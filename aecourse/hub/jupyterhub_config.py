"""JupyterHub configuration of a course server, as `aecourse-hub up` writes it.

This file is the template (aecourse/hub/jupyterhub_config.py): `up` copies it into the hub's state
folder with SETTINGS filled in from the roster and the course's nbgrader_config.py. Read the copy
there to see what runs; `aecourse-hub status` prints where it is.

- Login: PAM (JupyterHub's default authenticator) against the Unix accounts `up` created from the
  roster. nbgrader's exchange names students by their Unix account and relies on Unix file rights,
  so every user needs an account anyway; PAM then adds no second user database.
- Servers: JupyterHub's LocalProcessSpawner, one JupyterLab per user started as that user, in the
  kit's Python environment. Students start in their home (umask 077), with nbgrader's Assignments
  tab and no formgrader; instructors start at the course root (umask 007: files stay writable to
  the instructors' group), with the formgrader and the kit's commands.
"""

SETTINGS = {}  # aecourse-hub up writes the settings here

c = get_config()  # noqa: F821 (provided by JupyterHub)

c.JupyterHub.ip = SETTINGS["ip"]
c.JupyterHub.port = SETTINGS["port"]
if SETTINGS["ssl_cert"]:
    c.JupyterHub.ssl_cert = SETTINGS["ssl_cert"]
    c.JupyterHub.ssl_key = SETTINGS["ssl_key"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = SETTINGS["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{SETTINGS['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [SETTINGS["proxy"]]
c.ConfigurableHTTPProxy.pid_file = SETTINGS["proxy_pid_file"]
c.JupyterHub.db_url = f"sqlite:///{SETTINGS['state_dir']}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{SETTINGS['state_dir']}/jupyterhub_cookie_secret"
# The hub stops every user's server and the proxy when it stops (`aecourse-hub down`).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False  # no login sessions (no systemd-logind on a container host)
c.Authenticator.allowed_users = set(SETTINGS["students"]) | set(SETTINGS["instructors"])
c.LocalAuthenticator.create_system_users = False

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120


def per_role(spawner):
    """Students: their home, nbgrader's student view. Instructors: the course root, everything."""
    instructor = spawner.user.name in SETTINGS["instructors"]
    role = "instructor" if instructor else "student"
    umask = "007" if instructor else "077"
    spawner.cmd = ["/bin/sh", "-c", f'umask {umask}; exec "$0" "$@"', SETTINGS["singleuser"]]
    spawner.notebook_dir = SETTINGS["course_root"] if instructor else "~"
    spawner.environment = dict(SETTINGS["environment"], JUPYTER_CONFIG_PATH=SETTINGS["config_path"][role])


c.Spawner.pre_spawn_hook = per_role
