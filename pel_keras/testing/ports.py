"""A free TCP port on this machine for a test server."""

import socket


def free_port():
    """A port nothing listens on now (the OS picks it; a server started right after can take it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
