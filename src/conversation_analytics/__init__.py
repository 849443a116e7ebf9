"""Conversation analytics for AI agents: tracker, simulator, loader and command line."""

__version__ = "0.1.0"

PIPELINE_INSTALL = "pip install 'conversation-analytics[pipeline]'"


def main() -> None:
    """The `conversation-analytics` console script. The command line needs the
    pipeline extra; in a tracker-only install it says so in one line (exit 1)
    instead of dying on an ImportError."""
    import sys

    try:
        from conversation_analytics.cli import main as cli_main
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if not missing or missing == __name__:
            raise
        print(
            f"Error: the command line needs the pipeline extra ({missing} is not "
            f"installed): {PIPELINE_INSTALL}",
            file=sys.stderr,
        )
        sys.exit(1)
    cli_main()
