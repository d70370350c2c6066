"""Platform adapters: verify a delivery, parse it, fetch details, write back.

Adapters import `detectors` for the shared types and nothing else of Redline.
"""
