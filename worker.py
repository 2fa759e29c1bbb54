"""Production entry point of the background worker: `python worker.py [queue ...]`."""

import sys

from lms.app import create_app
from lms.worker import run_worker

if __name__ == "__main__":
    run_worker(create_app(), queues=sys.argv[1:] or None)
