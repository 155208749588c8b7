"""Errors a subcommand raises to end with exit code 2 and one sentence on stderr."""


class UsageError(Exception):
    """Bad usage or unreadable input; the message is one sentence for the user."""
