"""The ``capacity`` command (issue 8); being built."""
