"""Tests of the sandbox itself, over real HTTP with plain ``requests``."""
