import sys

sys.exit("experiments: not implemented yet (issue #5); nothing was produced.")
