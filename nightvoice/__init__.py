"""nightvoice: a calm offline voice that talks you through a night leg cramp."""

__version__ = "0.1.0"
