"""Other projects' allocator tests under LD_PRELOAD (run.py): fetching their sources, building
their cases, running each under every allocator, and judging the results."""
