"""Serve mongoeco's MongoDB wire-protocol server on loopback until killed.

Run by the interpreter of .ci/.wire-venv (mongoeco needs Python >= 3.13), never imported by
the test suite. The port is chosen by the operating system, so parallel servers never collide;
the URI and this process's id are written once the server listens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from mongoeco.wire import AsyncMongoEcoProxyServer


def write_atomically(path: Path, text: str) -> None:
    # A reader polling for the file must never see half a URI.
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text + "\n")
    partial.replace(path)


async def serve(uri_file: Path, pid_file: Path | None) -> None:
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=0)
    address = await server.start()
    if pid_file is not None:
        write_atomically(pid_file, str(os.getpid()))
    write_atomically(uri_file, address.uri)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uri-file", type=Path, required=True)
    parser.add_argument("--pid-file", type=Path)
    args = parser.parse_args()
    asyncio.run(serve(args.uri_file, args.pid_file))


if __name__ == "__main__":
    main()
