"""Storage, queues, configuration and secrets."""
