"""A small web application for the Berth examples: the standard library's HTTP server.

GET /          the static page
GET /hello     a greeting with the container's host name, the user it runs as and a visit count
GET /health    200 when the server answers (the image's HEALTHCHECK)
"""
import os
import pwd
import socket
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

visits = 0


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=os.path.join(os.path.dirname(__file__), "static"), **kwargs)

    def do_GET(self):
        global visits
        if self.path == "/health":
            return self.reply("ok\n")
        if self.path == "/hello":
            visits += 1
            greeting = os.environ.get("GREETING", "Hello")
            return self.reply(f"{greeting}: host={socket.gethostname()} user={pwd.getpwuid(os.getuid()).pw_name} cwd={os.getcwd()} visits={visits}\n")
        return super().do_GET()

    def reply(self, text):
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8000"))
    print(f"listening on :{port}", flush=True)
    ThreadingHTTPServer(("", port), Handler).serve_forever()
