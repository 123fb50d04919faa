"""Runs one stand-in app on a port, configured only from an env file:

    python -m apps.serve docs|drive --env-file docs.env --port 8071 --data DIR

The env file is what ``lasuite-emu env docs|drive`` printed; it is loaded into the process
environment (as docker compose's ``env_file`` would) and read by ``apps.settings``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

CLIENTS_DIR = Path(__file__).resolve().parent.parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=["docs", "drive"])
    parser.add_argument("--env-file", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", required=True, help="directory for the app's sqlite database")
    args = parser.parse_args(argv)

    from apps import envfile

    os.environ.update(envfile.load(args.env_file))
    os.environ["STANDIN_DATA_DIR"] = args.data
    os.environ["DJANGO_SETTINGS_MODULE"] = "apps.settings"
    os.environ["DJANGO_CONFIGURATION"] = args.app.capitalize()

    import configurations

    configurations.setup()
    from django.core.management import call_command as django_call

    django_call("migrate", run_syncdb=True, verbosity=0, interactive=False)
    # Django's development server, as upstream's dev setup runs: threaded, no autoreload.
    django_call("runserver", f"127.0.0.1:{args.port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    if str(CLIENTS_DIR) not in sys.path:
        sys.path.insert(0, str(CLIENTS_DIR))
    main()
