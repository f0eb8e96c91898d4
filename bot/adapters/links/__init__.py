"""The web endpoint's signed links: one token service, and the rule a POST must meet before a link acts."""
