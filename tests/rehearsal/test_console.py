"""The twin's cell console answers every request: malformed queries 400 with a one-line
reason, unknown paths 404, failures 500 on one line (the ``console`` fixture serves a red
rectangle and stages seeds 0..5)."""

import numpy as np
import pytest

from simgrasp.rehearsal.console import MAX_SEED, ConsoleServer
from simgrasp.robots.console import stage


def request(server, method: str, target: str) -> tuple[int, str]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5.0)
    try:
        conn.request(method, target)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.mark.parametrize("query", [
    "seed=%C2%B2",  # '²': a digit to str.isdigit, not to int()
    "seed=%D9%A3",  # an Arabic-Indic 3
    "seed=12345678901234567890",  # 20 digits
    f"seed={2**63}", "seed=" + "9" * 5000, "seed=-1", "seed=+1", "seed=1.0", "seed=1e3", "seed=%201", "seed=",
    "seed", "", "seed=1&seed=2", "seed=1&object=cup", "seed=0x10", "seed=%FF", "seed=1%00", "x" * 300,
])
def test_a_malformed_scene_query_is_refused_with_400_and_one_line(console, query):
    server, _ = console
    status, body = request(server, "POST", f"/scene?{query}")
    assert status == 400 and body.endswith("\n") and body.count("\n") == 1, (status, body)
    assert body.startswith("POST /scene?seed=N: expected")
    assert stage(server.url, 3)["object"] == "thing3"  # and the console goes on


def test_the_largest_seed_is_served_and_the_next_refused():
    seen = []
    server = ConsoleServer(lambda: np.zeros((2, 2, 3), np.uint8), lambda s: seen.append(s) or {"object": "x"}).start()
    try:
        assert request(server, "POST", f"/scene?seed={MAX_SEED}")[0] == 200
        assert request(server, "POST", "/scene?seed=007")[0] == 200
        status, body = request(server, "POST", f"/scene?seed={MAX_SEED + 1}")
        assert status == 400 and f"0..{MAX_SEED}" in body
    finally:
        server.stop()
    assert seen == [MAX_SEED, 7]


@pytest.mark.parametrize("method, target, code", [("POST", "/scenes?seed=1", 404), ("GET", "/scene?seed=1", 404),
                                                  ("GET", "/frame.jpg", 404), ("PUT", "/scene?seed=1", 501)])
def test_an_unknown_path_or_method_is_named_on_one_line(console, method, target, code):
    status, body = request(console[0], method, target)
    assert status == code and body.count("\n") == 1, body


def test_a_garbled_request_line_gets_400_on_one_line(console):
    import socket

    with socket.create_connection(("127.0.0.1", console[0].port), timeout=5.0) as s:
        s.sendall(b"GET /frame.png \x00\xff HTTP/1.1\r\n\r\n")
        reply = b"".join(iter(lambda: s.recv(65536), b"")).decode("latin-1")  # to the server's close
    head, _, body = reply.partition("\r\n\r\n")
    assert head.split()[1] == "400" and body.count("\n") == 1, reply


def test_a_staging_failure_is_a_500_on_one_line(console):
    status, body = request(console[0], "POST", "/scene?seed=9")
    assert status == 500 and body == "ValueError: no scene 9\n"


def test_a_console_without_depth_answers_depth_with_404(console):
    status, body = request(console[0], "GET", "/depth.png")
    assert status == 404 and body == "expected GET /frame.png, got GET /depth.png\n"


def test_the_depth_frame_is_a_16_bit_png_in_millimetres():
    import http.client

    import cv2

    depth = np.array([[0.5604, 0.0], [0.3, 0.25]], np.float32)
    server = ConsoleServer(lambda: np.zeros((2, 2, 3), np.uint8), lambda s: {}, depth=lambda: depth).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5.0)
        conn.request("GET", "/depth.png")
        r = conn.getresponse()
        counts = cv2.imdecode(np.frombuffer(r.read(), np.uint8), -1)
        conn.close()
    finally:
        server.stop()
    assert r.status == 200 and counts.dtype == np.uint16 and counts.tolist() == [[560, 0], [300, 250]]
