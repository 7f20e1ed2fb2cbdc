"""The exception family that roofcalc raises for bad input and impossible scenarios.

The library raises these, and only the command-line layer turns them into messages
and exit codes, so the math and the catalog code stay usable from Python.
"""

from __future__ import annotations


class RoofcalcError(Exception):
    """An input or scenario that roofcalc cannot evaluate, with a hint on what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nhint: {self.hint}"
        return self.message


class InvalidQuantity(RoofcalcError):
    """A number or a number with a unit that cannot be parsed or is out of range."""


class CatalogError(RoofcalcError):
    """A catalog or user TOML file that is malformed or fails validation."""


class NotFoundError(RoofcalcError):
    """An accelerator or model id that matches no catalog entry."""


class DoesNotFitError(RoofcalcError):
    """Model weights that do not fit in the memory of the chosen accelerators."""


class MissingInputError(RoofcalcError):
    """A value the calculation needs that no catalog entry or option supplied."""
