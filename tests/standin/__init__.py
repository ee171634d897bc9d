"""A local stand-in for www.beehive.govt.nz, built from recorded pages, for tests and demos."""

from tests.standin.faults import FAULT_KINDS
from tests.standin.model import Item
from tests.standin.server import LoggedRequest, StandIn

__all__ = ["FAULT_KINDS", "Item", "LoggedRequest", "StandIn"]
