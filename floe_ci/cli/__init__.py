"""The `floe-ci` / `floe` command line. Commands import their heavy libraries lazily."""
