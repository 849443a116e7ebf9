"""Conversation analytics for AI agents: tracker, simulator, loader and command line."""

__version__ = "0.1.0"
