"""The sandboxed render process: `python -m app.pdf.worker FD MEMORY_MB`, started by `RenderPool`.

It limits its own address space (RLIMIT_AS) and core size, warms WeasyPrint once, then serves jobs from the
socket FD until the parent closes it: (html, stylesheets, target path) -> ("ok", RenderStats) or
("error", message). The parent enforces the wall-clock deadline by killing this process.
"""

from __future__ import annotations

import resource
import sys
import time
from multiprocessing.connection import Connection

from app.pdf.render import RenderStats, render_pdf


def limit_resources(memory_mb: int) -> None:
    """Cap this process's address space, and forbid core files the size of its heap."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def serve(conn: Connection) -> None:
    """Render jobs until the parent hangs up."""
    while True:
        try:
            html, stylesheets, target = conn.recv()
        except (EOFError, OSError):
            return
        started = time.perf_counter()
        try:
            data, refused = render_pdf(html, stylesheets)
            with open(target, "xb") as handle:
                handle.write(data)
            conn.send(("ok", RenderStats(time.perf_counter() - started, len(data), refused)))
        except MemoryError:
            conn.send(("error", "the render ran out of memory"))
            return  # the heap may be in any state: the pool starts a fresh worker
        except Exception as error:
            conn.send(("error", f"{type(error).__name__}: {error}"[:500]))


def main(argv: list[str]) -> int:
    fd, memory_mb = int(argv[0]), int(argv[1])
    conn = Connection(fd)
    limit_resources(memory_mb)
    render_pdf("<!doctype html><html lang='en'><title>warm-up</title><p>Kia ora.</p></html>")
    conn.send(("ready", None))
    serve(conn)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
