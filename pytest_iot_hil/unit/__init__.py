"""On-target unit tests as pytest items: Unity, Unity Fixture and ztest output on the UART.

* ``parsers`` - the frameworks' output formats, line by line;
* ``elf``     - case names and code addresses from the image's ELF (pyelftools);
* ``run``     - one boot of an image, streamed into one result per case;
* ``plugin``  - the pytest layer: the ``hil_unit`` marker and ``hil_unit_images``,
  one item per case, one boot per image per run shared by xdist workers.
"""
