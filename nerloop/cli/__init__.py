"""The ``nerloop`` command line: parses flags, calls library functions, prints."""
