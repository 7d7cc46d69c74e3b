"""The Renode backend (work in progress): so far the monitor client, :mod:`.monitor`.

Not registered as a backend yet: a target needs the process management,
the UART terminal, memory and power on top of the monitor, and an STM32F4
build of the demo firmware to run.
"""
