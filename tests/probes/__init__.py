"""Builders of hostile inputs for tests/project/test_hostile.py and tests/inputs/test_fuzz.py.

Each builder writes one probe into a scratch folder: a submission with a link
to a secret, a FIFO named like a mask, a zip whose member names unzippers read
differently, a config that is valid TOML but not what submitkit expects. The
probes never touch anything outside the folder they are given.
"""
