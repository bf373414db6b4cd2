"""Sanbu's pure policy core: facts in, explained decisions out. No Django import anywhere below here."""
