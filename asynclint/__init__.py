"""asynclint: a static analyzer for asyncio misuse."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("asynclint")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
