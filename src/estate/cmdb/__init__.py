"""The CMDB: objects, category entries, dialog lists, logbook and search over the i-doit catalog.

The CMDB imports no domain above it: those tell it what they need through its hooks (object
listeners in objects.py, feeds and derived categories in feeds.py), and organizations call its
seed (seed.py)."""
