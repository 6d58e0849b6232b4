"""The ready locustfiles, installed as ``loadtest.scenarios``.

The repository keeps them at its top level (``scenarios/``), where users read and copy them;
packaging maps that folder into the package (``setup.py``), so one copy serves the checkout and
the wheel. ``cognito-loadtest run NAME`` finds them here; nothing imports them as modules.
"""
