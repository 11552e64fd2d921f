"""Command-line interface: ``tutor`` with one sub-module per area (each exposes ``register(app)``)."""
