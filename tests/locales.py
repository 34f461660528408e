"""Locales a minion may run with, for the tests of what is read and written."""

import contextlib
import locale


@contextlib.contextmanager
def ascii_ctype():
    """A minion whose locale is not UTF-8 (LC_CTYPE=C: ASCII): ``open()`` without an
    encoding would decode with it. Restored afterwards."""
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
