"""Media I/O on PyAV: probing with bounds, frame reading and deterministic encodes."""
