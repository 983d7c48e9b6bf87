"""Helpers the tests share: not tests themselves, so nothing here matches pytest's test_*.py pattern.

`database` builds the app's test configuration and database (integration and browser tests alike), `revisions`
serves the drafting, compare, carry-forward and responses tests, `pdf` the PDF tests, `browser` the real-browser
tests. Factories are in tests/factories.py, hostile inputs in tests/hostile.py.
"""
