"""The local stack's S3 and SQS emulator: moto's application under waitress.

moto's own server (Werkzeug's development server) closes every connection after one answer,
so each request of a client that keeps its connections open, as the AWS SDK does against
S3, paid a new TCP connection and a new server thread. waitress keeps connections alive.
One line per request goes to stderr in the format the bench and the chaos matrix read
(`<addr> - - [<time>] "<METHOD> <uri> <protocol>" <status> -`, as moto's server wrote it).

Usage: python moto-server.py -H <host> -p <port>
"""

import argparse
import os
import sys
import time

from moto.server import DomainDispatcherApplication, create_backend_app
from waitress import serve
from werkzeug.urls import uri_to_iri

# Control characters of a decoded path, escaped as moto's server escaped them.
CONTROL = {i: f"\\x{i:02x}" for i in [*range(0x20), 0x7F]}


def request_log(app):
    def logged(environ, start_response):
        status = ["-"]

        def record(line, headers, exc_info=None):
            status[0] = line.split(" ", 1)[0]
            return start_response(line, headers, exc_info)

        try:
            return app(environ, record)
        finally:
            stamp = time.strftime("%d/%b/%Y %H:%M:%S")
            # Decoded, as moto's server logged it: `prefix=frames/<jobId>/`, not `frames%2F…`.
            uri = uri_to_iri(environ.get("REQUEST_URI") or environ.get("PATH_INFO", ""))
            request = f'{environ["REQUEST_METHOD"]} {uri} {environ.get("SERVER_PROTOCOL", "HTTP/1.1")}'.translate(CONTROL)
            print(f'{environ.get("REMOTE_ADDR", "-")} - - [{stamp}] "{request}" {status[0]} -', file=sys.stderr, flush=True)

    return logged


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    # moto's server sets this too: presigned URLs and queue URLs name the port.
    os.environ.setdefault("MOTO_PORT", str(args.port))

    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    serve(
        request_log(app),
        host=args.host,
        port=args.port,
        # Long polls (SQS ReceiveMessage waits up to 20 s) each hold a thread: enough for every
        # poller of the tests' pipelines at once, as moto's thread-per-request server had.
        threads=64,
        connection_limit=2000,
        # A presigned PUT of the 2 GB benchmark clip is one request.
        max_request_body_size=64 * 1024**3,
        asyncore_use_poll=True,
        ident="moto",
    )


if __name__ == "__main__":
    main()
