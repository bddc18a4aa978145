"""A course server on one Linux machine: JupyterHub, accounts from the roster, nbgrader's exchange.

The command is ``aecourse-hub`` (:mod:`aecourse.hub.cli`); the hub's configuration template is
``jupyterhub_config.py`` beside this file.
"""
