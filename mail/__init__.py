"""Email channel of Relais: inbound gateway, outbound mail, signed links."""
