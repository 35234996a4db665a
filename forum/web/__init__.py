"""The web layer: thin views that parse, call one service, and render a theme template."""

from forum.web import path_params

# Before any module builds a route: Starlette compiles a route's pattern when it is made.
path_params.register()
