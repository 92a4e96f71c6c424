"""Exceptions raised by keyextract; each carries a one-line message meant for the user."""


class KeyextractError(Exception):
    """Base class of every error keyextract raises on purpose."""


class InputError(KeyextractError):
    """A document could not be read or is not usable text (missing, binary, empty, ...)."""


class ModelLoadError(KeyextractError):
    """An encoder could not be loaded (unknown name while offline, broken folder, ...)."""
