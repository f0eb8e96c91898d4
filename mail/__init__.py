"""Email channel of Relais: inbound gateway, outbound mail, signed links."""

from bot.core.platforms import Build, Platform, register


def _adapter(build: Build):
    """Always there (digests and notifications by mail); without `listen` (a client beside the service) it only sends."""
    from mail.adapter import MailAdapter

    s = build.settings
    mail = s.mail if build.listen else s.mail.model_copy(update={"listen": ""})
    return MailAdapter(mail, build.ports, smtp_url=s.smtp.url.get_secret_value(), public_url=s.web.public_url,
                       secret=s.core.secret_key.get_secret_value(), web=build.web, mailman=s.mailman if build.listen else None)


# Its bindings are mailing lists, not rooms; its addresses are compared lower-cased.
register(Platform("email", "email", "email:<address>", section="mail", adapter=_adapter, rooms=False,
                  words=("mail", "courriel", "e-mail"), canonical=str.lower, order=30))
