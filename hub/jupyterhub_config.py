"""JupyterHub configuration of the COMP6248 course hub; started by `python -m labs hub` (`make hub`).

The settings (ports, state directory, exchange, accounts) come from the environment that `labs.hub`
sets; everything else is fixed here. See labs/hub/__init__.py and the README's "Course hub" section.
"""

import sys
from pathlib import Path

from labs.hub import HUB_DIR, PROXY, HubSettings

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)
settings = HubSettings.from_env()

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = settings.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings.port + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.port + 2}"
c.ConfigurableHTTPProxy.command = [str(settings.root / HUB_DIR / PROXY)]
c.ConfigurableHTTPProxy.pid_file = str(settings.state / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{settings.state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(settings.state / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True

# PAM login against the course's local Unix accounts; only they may log in, the instructor is the hub's admin.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(settings.students) | {settings.instructor}
c.Authenticator.admin_users = {settings.instructor}

# Each user's server runs as that user in a bubblewrap sandbox (labs.hub.spawner), with the
# extensions of their role (STATE/roles/ROLE/ on JUPYTER_CONFIG_PATH).
c.JupyterHub.spawner_class = "labs.hub.spawner.CourseSpawner"
c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.shutdown_on_logout = False
