"""Layout access: reading GDS/OASIS, layer maps, bump extraction and the layout as checks see it.

Nothing is imported here, so that a layer map can be read without loading KLayout.
"""
