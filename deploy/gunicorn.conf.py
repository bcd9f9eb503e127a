"""gunicorn settings for deploy/systemd/roadshow-web.service (/etc/roadshow/gunicorn.conf.py).

Sync workers, two per core: a request waits on the database, not on the client, because
nginx in front buffers slow clients. Listens on loopback only; nginx is the way in.
"""

import multiprocessing

bind = "127.0.0.1:8000"
workers = 2 * multiprocessing.cpu_count()
worker_class = "sync"
timeout = 60
graceful_timeout = 30
max_requests = 2000  # a worker is replaced now and then, so slow leaks never add up
max_requests_jitter = 200
accesslog = "-"  # to the journal
