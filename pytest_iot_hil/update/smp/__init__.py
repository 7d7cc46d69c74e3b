"""SMP (MCUmgr) updates: the protocol Zephyr, nRF Connect SDK and MCUboot devices speak.

* ``transport`` - smpclient's transport interface over our console (SMP over
  console: base64 lines sharing the UART with text, split by the console's demux);
* ``client``    - :class:`SmpUpdateClient`, the synchronous :class:`~pytest_iot_hil.protocols.update.UpdateClient`
  on :mod:`smpclient` (one event loop per client), and :class:`SmpBootObserver`;
* ``plugin``    - ``update = "smp"`` in the inventory selects them for any MCUmgr device.
"""
