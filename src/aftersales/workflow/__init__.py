"""The pure after-sales workflow: the machine, its guards, reasons, liability and policy.

No I/O and no wall clock: every command carries its own time.
"""
