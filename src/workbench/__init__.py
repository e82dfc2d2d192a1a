"""Workbench: a client-relationship workbench for the people who own a client after the sale."""

__version__ = "0.1.0"
