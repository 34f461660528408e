"""The messages of the errors a test run as root cannot provoke on a real file here
(permission denied, an I/O error): each says what failed and what to do."""

import errno

import pytest
from salt.exceptions import CommandExecutionError


@pytest.mark.parametrize(
    "err, message",
    [
        (
            PermissionError(errno.EACCES, "Permission denied"),
            "cannot write /etc/sysconfig/docker: permission denied. Run this as root.",
        ),
        (
            PermissionError(errno.EPERM, "Operation not permitted"),
            "cannot write /etc/sysconfig/docker: permission denied. Run this as root.",
        ),
        (
            OSError(errno.EIO, "Input/output error"),
            "cannot write /etc/sysconfig/docker: Input/output error",
        ),
    ],
)
def test_an_os_error_becomes_a_message_that_says_what_to_do(sysconfig_mod, err, message):
    turned = sysconfig_mod._os_error("/etc/sysconfig/docker", err, "write")
    assert isinstance(turned, CommandExecutionError)
    assert str(turned) == message
