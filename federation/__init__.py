"""ActivityPub federation (FEP-1b12 groups): built in the federation issue."""
