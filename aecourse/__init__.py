"""aecourse: the autoencoder / VAE course kit (notebook helpers, data, grading)."""

#: The kit's version, read by pyproject.toml ([tool.setuptools.dynamic]); see CHANGELOG.md.
__version__ = "0.1.0"
