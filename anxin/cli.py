"""The ``anxin`` command: the jobs people run by hand, and every Django management command.

``anxin demo``, ``anxin logins``, ``anxin verify-changelog``, ``anxin sla``, ``anxin worker``,
``anxin simulate`` (the digital twin) and any ``manage.py`` command (``anxin migrate``,
``anxin runserver`` ...). ``DATABASE_URL`` selects the database, as for the web app.
"""

from __future__ import annotations

import os
import sys

ALIASES = {"verify-changelog": "verify_changelog"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "simulate":
        # The simulator is plain Python: it runs without setting Django up.
        from anxin.simulation.cli import main as simulate

        sys.exit(simulate(args[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anxin.settings")
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    if not args or args[0] in {"-h", "--help"}:
        print(__doc__.strip())
        print()
        args = ["help"]
    from django.core.management import execute_from_command_line

    from anxin.audit.context import acting_as

    with acting_as(label=f"cli:{os.environ.get('USER', 'operator')}"):
        execute_from_command_line(["anxin", *args])


if __name__ == "__main__":
    main()
