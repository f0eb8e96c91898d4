"""Platform adapters: they translate events in and render replies out, and decide nothing."""
