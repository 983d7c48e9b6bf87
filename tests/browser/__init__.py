"""Real-browser tests (a package, so module names never clash with tests/integration/ ones)."""
