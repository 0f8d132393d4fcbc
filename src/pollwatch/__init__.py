"""pollwatch: forensics and campaign tracking for email aimed at voters."""

from __future__ import annotations

__version__ = "0.1.0"
