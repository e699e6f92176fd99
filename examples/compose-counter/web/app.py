"""The counter: every visit increments a key in Redis (service `redis` on the project network)."""
import os
import socket

import redis
from flask import Flask

app = Flask(__name__)
store = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379, socket_connect_timeout=2)


@app.route("/")
def hello():
    count = store.incr("hits")
    return f"Hello from Flask on {socket.gethostname()}! This page has been visited {count} times.\n"


@app.route("/health")
def health():
    store.ping()
    return "ok\n"
