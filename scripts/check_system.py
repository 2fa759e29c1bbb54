"""Make sure the system tools the tests and benchmarks use are present (Chromium, ffprobe, wrk).

`check_system.py` checks them all (`make test`); `check_system.py wrk` only the named
ones (`make bench`).

They come from Debian packages. As root with apt-get (CI, a fresh server) they
are installed here; otherwise the missing ones are named with the command to
install them, and the test run stops before it starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# executable -> Debian package
NEEDED = {
    "chromium": "chromium",
    "chromedriver": "chromium-driver",
    "ffprobe": "ffmpeg",
    "wrk": "wrk",
}


def missing(wanted: dict[str, str]) -> dict[str, str]:
    return {exe: pkg for exe, pkg in wanted.items() if shutil.which(exe) is None}


def main(names: list[str]) -> int:
    """Check (and as root install) the named tools, or all of them without names."""
    unknown = sorted(set(names) - set(NEEDED))
    if unknown:
        print(f"Unknown tools: {', '.join(unknown)}; known: {', '.join(NEEDED)}", file=sys.stderr)
        return 2
    wanted = {exe: pkg for exe, pkg in NEEDED.items() if not names or exe in names}
    absent = missing(wanted)
    if not absent:
        return 0
    packages = sorted(set(absent.values()))
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing {', '.join(packages)} with apt-get...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env)
        absent = missing(wanted)
    if absent:
        print("The tests need these system tools: " + ", ".join(absent), file=sys.stderr)
        print(f"Install them with: sudo apt-get install {' '.join(packages)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
