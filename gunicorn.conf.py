"""gunicorn settings, read by `gunicorn app:server` when started in this folder (gunicorn loads
./gunicorn.conf.py by default). Command-line flags (-w, -b, --timeout, ...) override these.

Binds $LSTMVIS_HOST:$LSTMVIS_PORT (default 127.0.0.1:8050, never all interfaces unless told) and logs
at $LSTMVIS_LOG_LEVEL. The app itself is built per worker from $LSTMVIS_CONFIG (see app.py); it opens
no dataset at import, so the workers never share an HDF5 handle across fork.
"""
import os

bind = f"{os.environ.get('LSTMVIS_HOST') or '127.0.0.1'}:{os.environ.get('LSTMVIS_PORT') or '8050'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 4)
loglevel = (os.environ.get("LSTMVIS_LOG_LEVEL") or "info").lower()
# A first request to a layer without a prepared index builds it (minutes for a large corpus); run
# `python -m lstmvis_dash prepare` before starting, and give slow matches room before a worker is killed.
timeout = int(os.environ.get("LSTMVIS_TIMEOUT") or 120)
graceful_timeout = 30
accesslog = "-" if os.environ.get("LSTMVIS_ACCESS_LOG", "").lower() in ("1", "true", "yes") else None
errorlog = "-"
# no control socket (~/.gunicorn/gunicorn.ctl): unused here, and shared by every instance of one user
control_socket_disable = True


def post_worker_init(worker):
    """Each worker compiles the engine's kernels in the background once it has loaded the app (never
    in the master: threads do not survive a fork), so no user waits for them."""
    from lstmvis_dash import warmup
    warmup.start()
