"""The front ends over the one pipeline: the command line and the flake8 plugin."""
