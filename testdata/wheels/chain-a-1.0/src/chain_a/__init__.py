"""chain-a 1.0: depends on chain-b>=1."""

VERSION = "1.0"


def b_version():
    """The version of chain-b this install resolved to."""
    import chain_b

    return chain_b.VERSION
