"""A few lines of ZooKeeper's wire protocol (jute, big-endian) for tests that need exact
frames: the handshake, request headers, reading replies and notifications."""
import socket
import struct

OP = {"create": 1, "delete": 2, "exists": 3, "getData": 4, "setData": 5, "getChildren": 8, "ping": 11,
      "closeSession": -11, "setWatches": 101, "addWatch": 106}


def string(value):
    raw = value.encode()
    return struct.pack(">i", len(raw)) + raw


def buffer(value):
    return struct.pack(">i", len(value)) + value


def strings(values):
    return struct.pack(">i", len(values)) + b"".join(string(v) for v in values)


OPEN_ACL = struct.pack(">i", 1) + struct.pack(">i", 31) + string("world") + string("anyone")


def create_body(path, data=b"", flags=0):
    return string(path) + buffer(data) + OPEN_ACL + struct.pack(">i", flags)


def path_watch_body(path, watch=False):
    return string(path) + (b"\x01" if watch else b"\x00")


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def connect_request(session_id=0, passwd=b"\x00" * 16, timeout=30000, last_zxid=0, read_only=True):
    body = struct.pack(">iqiq", 0, last_zxid, timeout, session_id) + buffer(passwd)
    if read_only is not None:
        body += b"\x01" if read_only else b"\x00"
    return frame(body)


def recv_exactly(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError(f"connection closed after {len(out)} of {n} bytes")
        out += chunk
    return out


def read_frame(s):
    (size,) = struct.unpack(">i", recv_exactly(s, 4))
    return recv_exactly(s, size)


def parse_connect_response(payload):
    protocol, timeout, session = struct.unpack_from(">iiq", payload, 0)
    (plen,) = struct.unpack_from(">i", payload, 16)
    passwd = payload[20:20 + plen]
    rest = payload[20 + plen:]
    return {"protocol": protocol, "timeout": timeout, "session": session, "passwd": passwd,
            "read_only": rest[0] if rest else None, "size": len(payload)}


def parse_reply(payload):
    xid, zxid, err = struct.unpack_from(">iqi", payload, 0)
    return xid, zxid, err, payload[16:]


def parse_event(body):
    etype, state = struct.unpack_from(">ii", body, 0)
    (plen,) = struct.unpack_from(">i", body, 8)
    return etype, state, body[12:12 + plen].decode()


def closed_by_peer(s, timeout=10):
    """True when the peer closes (EOF or reset) within the timeout, reading away anything sent."""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Session:
    """One connection with a session: send requests, read replies and notifications."""

    def __init__(self, port, session_id=0, passwd=b"\x00" * 16, timeout=30000, last_zxid=0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(connect_request(session_id, passwd, timeout, last_zxid))
        self.handshake = parse_connect_response(read_frame(self.sock))
        self.id = self.handshake["session"]
        self.passwd = self.handshake["passwd"]
        self.xid = 0
        self.events = []

    def send(self, op, body=b"", xid=None):
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.sock.sendall(frame(struct.pack(">ii", xid, OP.get(op, op) if isinstance(op, str) else op) + body))
        return xid

    def read(self):
        """The next reply that is not a notification (notifications are kept in `events`)."""
        while True:
            xid, zxid, err, body = parse_reply(read_frame(self.sock))
            if xid == -1:
                self.events.append(parse_event(body))
                continue
            return xid, zxid, err, body

    def call(self, op, body=b""):
        xid = self.send(op, body)
        reply = self.read()
        assert reply[0] == xid, f"reply to xid {reply[0]} while waiting for {xid}"
        return reply

    def wait_events(self, count, timeout=10):
        """Reads frames until `count` notifications have arrived."""
        self.sock.settimeout(timeout)
        while len(self.events) < count:
            xid, zxid, err, body = parse_reply(read_frame(self.sock))
            assert xid == -1, f"unexpected reply xid {xid} while waiting for notifications"
            self.events.append(parse_event(body))
        self.sock.settimeout(10)
        return self.events

    def close(self):
        try:
            self.call("closeSession")
        except (OSError, EOFError):
            pass
        self.sock.close()
