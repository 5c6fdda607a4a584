"""Programs run by hand or by tox, not by the test runner.

Each is ``python -m heat_resume_tests.scripts.<name> --help``: ``demo``
(tox -e demo), ``bench_engines`` (tox -e bench), ``bench``,
``bench_takeover``, ``soak`` (tox -e soak) and ``compat`` (tox -e
heat-compat, heat-compat-*, heat-patched). They start their services with
heat_resume_tests.fixtures.
"""
