"""Marks a labels layer as an instance map (each value one object, as stardist and cellpose write them) rather than
a semantic map (each value one class, objects its connected components), for the instances view's default."""

from __future__ import annotations

# layer metadata key; True: an instance map, False: a semantic map; absent: the instances view guesses
INSTANCE_MAP_KEY = "segreview_instance_map"
