"""Exceptions raised by keyextract, each with a one-line message meant for the user, and the
exit statuses the commands (``keyextract``, ``keyextract eval``, ``keyextract spark``) map them to."""

EXIT_INPUT = 1  # some input could not be read; the others' results were printed
EXIT_USAGE = 2  # bad options or unusable model: nothing was done


class KeyextractError(Exception):
    """Base class of every error keyextract raises on purpose."""


class InputError(KeyextractError):
    """A document could not be read or is not usable text (missing, binary, empty, ...)."""


class ModelLoadError(KeyextractError):
    """An encoder could not be loaded (unknown name while offline, broken folder, ...)."""
