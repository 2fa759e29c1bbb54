"""Make sure the system tools the tests use are present (Chromium, ffprobe, wrk).

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


def missing() -> dict[str, str]:
    return {exe: pkg for exe, pkg in NEEDED.items() if shutil.which(exe) is None}


def main() -> int:
    absent = missing()
    if not absent:
        return 0
    packages = sorted(set(absent.values()))
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing {', '.join(packages)} with apt-get...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env)
        absent = missing()
    if absent:
        print("The tests need these system tools: " + ", ".join(absent), file=sys.stderr)
        print(f"Install them with: sudo apt-get install {' '.join(packages)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
