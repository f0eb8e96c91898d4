"""The vocabulary of Relais, below everything else: incoming messages, replies and their rendering, commands and their
parser, dates, numbers, choices, conversations, plans, errors and the platform registry."""
