"""The platform-neutral core: incoming messages, replies, commands, parsing and dispatch."""
