"""The Dash user interface: `create_app(config)` builds the app from a list of components."""


def create_app(*args, **kwargs):
    from .app import create_app as _create_app
    return _create_app(*args, **kwargs)


__all__ = ["create_app"]
