"""The ``quota`` command (issue 8); being built."""
