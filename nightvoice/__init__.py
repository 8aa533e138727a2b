"""nightvoice: a calm offline voice that talks you through a night leg cramp."""

# The one place the version is written: pyproject.toml reads it from here (hatch's version source),
# `--version` prints it and CHANGELOG.md has a section for it.
__version__ = "0.3.0"
