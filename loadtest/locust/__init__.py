"""The Locust adapter: the only package that imports locust or gevent.

Importing this package does not import Locust (whose import monkey-patches the process): the
user classes live in :mod:`loadtest.locust.logins` and :mod:`loadtest.locust.base`, the run's
hooks in :mod:`loadtest.locust.hooks`, the open model in :mod:`loadtest.locust.open_model`.
"""
