"""Locustfile: the open model: logins start on a schedule, whatever the server does.

    locust -f scenarios/open_logins.py --headless -u 50 -r 50 \\
        --cognito-stages 10:30s --cognito-mix srp=3,srp_totp=1 \\
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

``-u`` is the most logins in flight at once (k6's maxVUs): an arrival that finds every user
busy is dropped (``login:<flow>:dropped``). Each login reports its service time
(``login:<flow>``) and its latency from the time it was due (``login:<flow>:intended``).
The schedule ends the run; with ``--processes N`` each worker takes every N-th arrival.
See :mod:`loadtest.locust.open_model`.
"""

from loadtest.locust.open_model import OpenLoginUser

__all__ = ["OpenLoginUser"]
