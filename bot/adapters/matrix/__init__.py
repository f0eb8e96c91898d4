"""Matrix channel of Relais: rooms and direct chats through a homeserver (matrix-nio as the transport)."""
