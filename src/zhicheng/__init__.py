"""zhicheng (智城): the new-type smart city goal-domain platform."""

__version__ = "0.1.0"
