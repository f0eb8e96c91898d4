"""Scheduled jobs of Relais (digests and reminders) on APScheduler."""
