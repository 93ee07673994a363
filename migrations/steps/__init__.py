"""Migration steps, applied in the order of their number (`mNNNN_name.py`)."""
