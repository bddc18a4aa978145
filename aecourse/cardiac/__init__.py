"""Cardiac short-axis data for the course: ACDC conversion, synthetic phantoms, anatomy metrics.

Modules (none of them imports Keras or TensorFlow):

- :mod:`aecourse.cardiac.dataset`  -- label conventions and ``load_split`` for the notebooks;
- :mod:`aecourse.cardiac.acdc`     -- converter from the official ACDC folders to one HDF5 file;
- :mod:`aecourse.cardiac.phantoms` -- synthetic exams written in the exact ACDC layout;
- :mod:`aecourse.cardiac.anatomy`  -- Dice per structure and anatomical plausibility checks.
"""
