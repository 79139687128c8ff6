"""Helpers shared by the tests of several packages (workspaces, scenarios, browser and server helpers)."""
