"""The test file a misconfigured run writes: it fails loudly if the run ever gets as far as running tests."""

INNER = """
import pytest

@pytest.mark.hil
def test_hil(console):
    raise AssertionError("ran despite a usage error")

def test_plain():
    raise AssertionError("ran despite a usage error")
"""
