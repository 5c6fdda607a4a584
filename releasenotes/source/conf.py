# Sphinx configuration of the release notes (tox -e releasenotes).

project = 'heat_resume release notes'
copyright = '2026, heat_resume developers'
extensions = ['reno.sphinxext']
html_theme = 'alabaster'
