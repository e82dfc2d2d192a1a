"""Small network facts shared by the sync client and the server's command line."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for this machine only: plain http (no TLS) is acceptable there and nowhere else."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
