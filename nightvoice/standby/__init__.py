"""`nightvoice standby`: one press starts the night routine, with no terminal and nothing to unlock.

- `resident.py`: the process that waits, idle, as the MPRIS player on the session bus and on a
  bedside input device, and plays the routine in-process at a press (through session.py's one
  wiring), ready again when it ends.
- `service.py`: `standby --install`, `--off` and `--status`: a systemd user service (units.py),
  or what to run where there is no systemd.

This package sits above session.py (it plays through it); session.py never imports it.
"""
