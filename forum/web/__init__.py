"""The web layer: thin views that parse, call one service, and render a theme template."""
