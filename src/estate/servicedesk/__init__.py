"""The service desk domain: queues, tickets, their history, attachments and work."""

# Loading the domain registers what a new organization's service desk starts with, whichever entry
# point (server, command line, benchmark) creates the organization.
from estate.servicedesk import seeds as _seeds  # noqa: F401
