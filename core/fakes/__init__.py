"""Fake makers: the self-blend generator (training and teaching), the two-person face swap, generated test scenes."""
