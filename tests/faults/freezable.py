"""A TCP proxy in front of a real server that can be frozen: while frozen it keeps every
connection open, accepts new ones, and forwards nothing in either direction — a server
that hangs without closing anything (a stopped Redis, a saturated host, a half-open
connection). Unlike redis ``CLIENT PAUSE`` it freezes only the clients that go through
it, so other processes sharing the Redis server are not affected."""

import selectors
import socket
import threading


class FreezableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.setblocking(False)
        self.port: int = self._server.getsockname()[1]
        self._frozen = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        # client socket -> upstream socket (None for a connection accepted while frozen)
        self._pairs: dict[socket.socket, socket.socket | None] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def freeze(self) -> None:
        self._frozen.set()

    def thaw(self) -> None:
        """Forward again. Connections held during the freeze are closed: their clients
        have given up on them and reconnect."""
        with self._lock:
            for client, upstream in list(self._pairs.items()):
                self._close(client, upstream)
            self._frozen.clear()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            for client, upstream in list(self._pairs.items()):
                self._close(client, upstream)
        self._server.close()

    def _close(self, client: socket.socket, upstream: socket.socket | None) -> None:
        self._pairs.pop(client, None)
        for sock in (client, upstream):
            if sock is not None:
                sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                frozen = self._frozen.is_set()
                selector = selectors.DefaultSelector()
                selector.register(self._server, selectors.EVENT_READ, None)
                if not frozen:
                    for client, upstream in self._pairs.items():
                        if upstream is not None:
                            selector.register(client, selectors.EVENT_READ, upstream)
                            selector.register(upstream, selectors.EVENT_READ, client)
            try:
                events = selector.select(timeout=0.05)
            finally:
                selector.close()
            with self._lock:
                for key, _ in events:
                    if key.fileobj is self._server:
                        self._accept()
                    elif not self._frozen.is_set():
                        self._forward(key.fileobj, key.data)  # type: ignore[arg-type]

    def _accept(self) -> None:
        try:
            client, _ = self._server.accept()
        except BlockingIOError:
            return
        if self._frozen.is_set():
            self._pairs[client] = None  # held open, never answered
            return
        upstream = socket.create_connection(self.target, timeout=5)
        self._pairs[client] = upstream

    def _forward(self, source: socket.socket, destination: socket.socket) -> None:
        try:
            data = source.recv(65536)
            if data:
                destination.sendall(data)
                return
        except OSError:
            pass
        client = source if source in self._pairs else destination
        self._close(client, self._pairs.get(client))
