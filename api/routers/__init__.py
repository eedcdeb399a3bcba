"""The API's routers: one per procedure (aia), plus the cross-procedure case reads (cases)."""

from api.routers import aia, cases

__all__ = ["aia", "cases"]
