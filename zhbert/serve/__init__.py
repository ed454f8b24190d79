"""The HTTP server: routes, dynamic batching, limits and metrics over the Python API."""
