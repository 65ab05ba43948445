"""The package version: the pycares API level it provides (5.2.1) plus our own release."""

__version__ = "5.2.1.dev0"
