"""A call that would block forever (opening a FIFO nobody writes to) fails the test
instead of hanging the suite. The limit is far above any real run: it is a safety net,
never a measure of speed."""

import contextlib
import signal


class Blocked(AssertionError):
    """The call was still waiting when the limit came."""


@contextlib.contextmanager
def fails_if_blocked(seconds=60):
    """Raise ``Blocked`` in the test's own (main) thread if the body is still
    running after ``seconds``: the signal interrupts a blocking open or read."""

    def interrupt(signum, frame):
        raise Blocked(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
