"""Run the app in its own process for tests that need several processes: serve_app.py PORT.

Configuration comes from the environment (DATABASE_URL, REDIS_URL, LMS_INSTANCE_PATH...),
exactly as in production.
"""

import sys

from werkzeug.serving import run_simple

from lms.app import create_app

if __name__ == "__main__":
    run_simple("127.0.0.1", int(sys.argv[1]), create_app(), threaded=True)
