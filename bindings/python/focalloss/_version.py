"""The package's version; the library must have the same (tests compare with the header)."""

__version__ = "0.1.0"

#: FOCAL_VERSION_NUMBER of the library this package is written for (MAJOR*10000+MINOR*100+PATCH).
VERSION_NUMBER = 100
