"""The demo agency portal that embeds the suggestions widget (``python -m serving --demo``)."""
