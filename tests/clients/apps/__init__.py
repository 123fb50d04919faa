"""Two minimal Django apps standing in for Docs and Drive, configured only from the env blocks
that ``lasuite-emu env docs`` and ``lasuite-emu env drive`` print (see README.md)."""
