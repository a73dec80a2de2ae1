"""qindex: targets, progress and composite indices for quality-strong-city (质量强市) plans."""

from qindex.errors import QIndexError

__all__ = ["QIndexError"]
__version__ = "0.1.0"
