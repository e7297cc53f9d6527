"""Free loopback ports for the servers the tests start.

Port 0's pick comes from the kernel's ephemeral range, the same range every outgoing
connection takes its local port from: between the pick and the server's bind, a client's or a
peer's connection could take it (an ensemble starting up opens dozens), and the server then
failed with "Address already in use". So the ports come from below that range, where no
outgoing connection goes; each is checked free and handed out once per test session.
"""
import random
import socket

_handed_out = set()


def _ephemeral_range():
    try:
        low, high = (int(v) for v in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    low, high = _ephemeral_range()
    # Below the ephemeral range when it leaves room there (Linux's default starts at 32768),
    # else above it.
    candidates = (10000, low - 1) if low > 12000 else (high + 1, 65535)
    for _ in range(1000):
        port = random.randint(*candidates)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free loopback port in {candidates[0]}-{candidates[1]}")
