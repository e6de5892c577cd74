"""The ``haneul-test`` guest image: a CirrOS-like cloud guest built from Debian packages.

``python -m runtime.compute.guest_image build`` writes it to ``~/.cache/haneul/images``;
:mod:`.build` holds the steps, :mod:`.config_drive` the config drive that Nova reuses,
:mod:`.banner` the console line that says a guest is up.
"""
