"""Backends: one folder per way of running a target (QEMU, Renode, pyOCD)."""
