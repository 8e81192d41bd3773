"""A local fake OSRM server for the travel-time adapter's tests.

It answers ``/table/v1/{profile}/{lon,lat;...}?sources=..&destinations=..&annotations=duration``
like OSRM does, after checking the URL the way OSRM would: coordinates are ``lon,lat`` pairs in
range, indices point at given coordinates. The durations it returns are computed from the
coordinates (100 s per 0.01° of longitude plus 1,000 s per 0.01° of latitude, different on
purpose so a lat/lon swap shows), and chosen cells can be made null, a status code forced, or
the answer delayed. Runs ``http.server`` in a thread on 127.0.0.1 with a random port.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def fake_duration(origin: tuple[float, float], destination: tuple[float, float]) -> float:
    """The duration the fake answers for (lon, lat) pairs."""
    return abs(origin[0] - destination[0]) * 10_000 + abs(origin[1] - destination[1]) * 100_000


class FakeOsrm:
    """The fake server; use as a context manager, read ``requests`` to see what was asked."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        #: Answers the client did not wait for (a timeout test's).
        self.abandoned = 0
        self.null_cells: set[tuple[int, int]] = set()
        self.status = 200
        self.code = "Ok"
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                fake.requests.append(self.path)
                status, body = fake.answer(self.path)
                if fake.delay:
                    time.sleep(fake.delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up first (the timeout tests make it): nothing to answer.
                    fake.abandoned += 1

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOsrm:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        parsed = urllib.parse.urlsplit(path)  # not urlparse: it cuts ";params" off the path
        parts = parsed.path.split("/")
        if len(parts) != 5 or parts[1:3] != ["table", "v1"]:
            return self._bad(f"bad path {parsed.path}")
        query = urllib.parse.parse_qs(parsed.query)
        if query.get("annotations") != ["duration"]:
            return self._bad("annotations=duration missing")
        coords: list[tuple[float, float]] = []
        for pair in parts[4].split(";"):
            lon, lat = (float(x) for x in pair.split(","))
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                return self._bad(f"coordinate out of range {pair}")
            coords.append((lon, lat))
        sources = [int(i) for i in query["sources"][0].split(";")]
        destinations = [int(i) for i in query["destinations"][0].split(";")]
        if max(sources + destinations) >= len(coords):
            return self._bad("index beyond the coordinates")
        if self.status != 200 or self.code != "Ok":
            return self.status, {"code": self.code, "message": "forced by the test"}
        table = [
            [
                None if (i, j) in self.null_cells else fake_duration(coords[s], coords[d])
                for j, d in enumerate(destinations)
            ]
            for i, s in enumerate(sources)
        ]
        return 200, {"code": "Ok", "durations": table}

    def _bad(self, message: str) -> tuple[int, dict[str, Any]]:
        self.errors.append(message)
        return 400, {"code": "InvalidQuery", "message": message}
