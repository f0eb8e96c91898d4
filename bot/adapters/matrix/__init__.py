"""Matrix channel of Relais: rooms and direct chats through a homeserver (matrix-nio as the transport)."""

from bot.core.platforms import Build, Platform, register


def _adapter(build: Build):
    """On when a homeserver is set; matrix-nio is imported only then."""
    settings = build.settings.section("matrix")
    if not settings.homeserver:
        return None
    from bot.adapters.matrix.adapter import MatrixAdapter

    return MatrixAdapter(settings, build.ports, secret=build.settings.core.secret_key.get_secret_value())


register(Platform("matrix", "Matrix", "matrix:<mxid>", section="matrix", adapter=_adapter, words=("element",), order=20))
