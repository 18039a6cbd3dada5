"""Domain errors of customer service, with the data a person needs to fix the cause."""

from mall.errors import DomainError


class TicketError(DomainError):
    """A ticket action that cannot be done as asked; ``str(error)`` says why, for a person."""


class AttachmentRefused(TicketError):
    """Attachments that cannot be kept; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(str(problem) for problem in problems))
