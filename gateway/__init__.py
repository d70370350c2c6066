"""The gateway: Flask app, worker, pipeline and CLI; the only package that ties the others together."""
