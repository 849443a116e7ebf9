"""Loading and building: the raw table filled from events (`loader`) and the
dbt project run on a target (`dbt_runner`). For pipelines and the command
line; agents use `conversation_analytics.tracker` instead."""
