"""chain-b 1.0."""

VERSION = "1.0"
