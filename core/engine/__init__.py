"""What runs in class: media loading, face extraction, the detector, the analysis path, explanations, video, live frames, drawing and the shared job pool."""
