"""Platform adapters: they translate events in and render replies out, and decide nothing.

An adapter has `name`, `async start()` (begin receiving, in background tasks) and `async stop()`;
it hands each event to `app.dispatcher.handle(Incoming)` and renders the Reply it gets back.
Its delivery channel (`platform`, `async deliver(account, reply, message)`) is registered with
`app.delivery.register(...)` so that notifications reach people on it.
"""
