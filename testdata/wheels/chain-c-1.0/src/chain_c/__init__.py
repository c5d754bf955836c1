"""chain-c 1.0: chain-b is optional, behind the "b" extra."""

VERSION = "1.0"


def has_b():
    try:
        import chain_b  # noqa: F401
    except ImportError:
        return False
    return True
