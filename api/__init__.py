"""Transport: the Starlette application, its configuration, routes and command line."""
