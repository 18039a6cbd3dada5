from .accounts import Address, Notification, User, UserManager

__all__ = ["Address", "Notification", "User", "UserManager"]
