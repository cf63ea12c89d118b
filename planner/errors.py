"""The planner's exceptions: pages and the CLI catch PlannerError and show its message in plain words."""


class PlannerError(Exception):
    """Base of every error the planner raises on purpose; its message is meant for the user."""


class CatalogError(PlannerError):
    """A shipped or uploaded data file is malformed; the message names the file, row and field."""


class InputError(PlannerError):
    """An assessment or an imported file is invalid; ``field_errors`` maps a field path to a sentence."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


class InfeasibleError(PlannerError):
    """No fleet of the allowed hardware can serve the workload (the model does not fit, or no price)."""


class StoreError(PlannerError):
    """Saving or loading failed; nothing was half-written."""
