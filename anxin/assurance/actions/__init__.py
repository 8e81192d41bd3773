"""The action functions of the assurance app: every write goes through one of these.

Pages, the API, the management commands and the worker sweeps all call them; each checks
permission and input first (a refused call changes nothing), claims state changes with a
conditional update on (state, version), and stores the state change as a row.
"""
