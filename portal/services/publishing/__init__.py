"""Publishing: the public results, the accountability list, open data, exports and the A4 notice."""
