#!/usr/bin/env python3
"""Many clients for the chat-server example: all join, each says one line, each must hear every
other client's line exactly once. Bounded in time; exit 0 on success, 1 with what went wrong."""
import socket, sys, time, selectors

port, count = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 60
clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]
buffers = [b""] * count

def read_lines(i, want):
    """Reads client i's socket until it holds `want` complete lines; returns them."""
    while buffers[i].count(b"\n") < want:
        if time.monotonic() > deadline:
            have = buffers[i].count(b"\n")
            sys.exit(f"client {i}: timed out with {have} of {want} lines")
        chunk = clients[i].recv(65536)
        if not chunk:
            sys.exit(f"client {i}: server closed early")
        buffers[i] += chunk
    lines = buffers[i].split(b"\n")
    buffers[i] = b"\n".join(lines[want:])
    return [l.decode() for l in lines[:want]]

names = []
for i in range(count):  # every client is in the room before anyone speaks
    (welcome,) = read_lines(i, 1)
    assert welcome.startswith("welcome "), welcome
    names.append(welcome.split(" ", 1)[1])
for i, c in enumerate(clients):
    c.sendall(f"hello from client {i}\r\n".encode())
for i in range(count):
    heard = sorted(read_lines(i, count - 1))
    expected = sorted(f"{names[j]}: hello from client {j}" for j in range(count) if j != i)
    if heard != expected:
        sys.exit(f"client {i} heard {heard[:3]}… expected {expected[:3]}…")
for c in clients:
    c.sendall(b"/quit\n")
for i, c in enumerate(clients):
    c.settimeout(10)
    rest = c.recv(65536)
    while rest:
        rest = c.recv(65536)
    c.close()
print(f"chat: {count} clients each heard the other {count - 1} lines exactly once")
