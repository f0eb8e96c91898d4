"""The runtime: what runs the core's vocabulary over the services — the dispatcher and its context, the inbox and the
pipeline of chat events, the delivery of notifications, the work loops, the processes and their roles, and the ports
the adapters plug into. It stands above `bot/services` (it hands them to the handlers) and below the adapters."""
