"""`python -m sample_app [--host H] [--port P]` serves the sample app."""

from __future__ import annotations

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sample_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run("sample_app.app:app", host=args.host, port=args.port)


if __name__ == "__main__":
    main()
