"""chain-b 2.0."""

VERSION = "2.0"
