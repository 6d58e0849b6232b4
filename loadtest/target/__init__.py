"""Where the load goes: target settings, the safety rails, the option table, the pool launcher.

The ground floor of the client side: commands, the Locust adapter and the report read it; it
imports no higher layer and never the pool server package (it starts the pool as a process).
"""
