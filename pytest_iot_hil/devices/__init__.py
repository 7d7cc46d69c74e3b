"""Device profiles: everything one firmware defines, one folder each.

A profile knows its firmware's update client, how it reports boots (boot
observer), its image rules, its campaign oracle and update procedure, and its
memory map and built-in target. It registers through the plugin's hooks from
its own ``pytest11`` entry point, so a team's own profile (in its own package
or a ``conftest.py``) plugs in exactly like ``demo/`` does.
"""
