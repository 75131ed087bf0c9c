"""The pure compute of the strategy engine: what the dbt Python models import.

``positions`` (the position state machine), ``path`` (path-dependent indicators and the naming of
their columns) and ``kernels`` (numba-or-Python loop kernels). Functions over arrays and frames
only: no module here reads or writes a warehouse, a file or the network, or imports the runner
(``strategy_engine``); tests/python/test_compute_package.py checks it. This package alone is
shipped to Dataproc for the Python models' BigQuery path (scripts/build_dataproc_zip.py).
"""
