"""The Estate agent: runs on a managed machine, reports its inventory, runs the scripts the server
sends and the offline scripts it keeps. Python 3.9 or later, the standard library and psutil only:
it imports nothing of the server, so it can be installed on its own."""

VERSION = "1.0"
