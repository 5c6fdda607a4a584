# Sphinx configuration of heat_resume's documentation (tox -e docs).

project = 'heat_resume'
copyright = '2026, heat_resume developers'
extensions = [
    # the configuration reference, from the options themselves
    'oslo_config.sphinxext',
    'reno.sphinxext',
]
exclude_patterns = []
html_theme = 'alabaster'
html_static_path = ['_static']
