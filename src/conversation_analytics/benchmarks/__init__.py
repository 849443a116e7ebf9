"""The benchmarks behind `conversation-analytics bench` (`pipeline`: full and
incremental builds at scale) and `bench-tracker` (`tracker`: the cost of a
tracker call and the throughput into each store)."""
