"""Errors a service raises; each carries a message in Chinese that a page can show as is."""


class ServiceError(Exception):
    """Base class: ``str(exc)`` is a complete, user-facing Chinese sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    """The user's input breaks a rule; nothing was saved."""


class PermissionDenied(ServiceError):
    """The actor may not do this."""


class NotFound(ServiceError):
    """The thing asked for does not exist or is not visible to the actor."""


class PhaseClosed(ServiceError):
    """The consultation's phase does not allow this action now."""


class SignInFailed(ServiceError):
    """Wrong credentials, an expired code, or too many attempts."""


class UnderMaintenance(ServiceError):
    """The database is being restored from a backup (or just was, under this change): nothing
    was saved; try again in a moment."""
