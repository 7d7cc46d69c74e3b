# The example suite needs nothing here: the plugin's built-in default target
# (QEMU mps2-an385 with the bundled demo firmware) is used when no hil.toml
# exists. Point --hil-config at your own inventory to run them elsewhere.
