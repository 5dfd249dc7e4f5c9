"""Deepfake Lab engine: media, faces, detector, explanations, video. UI-free: never imports streamlit."""

__version__ = "0.1.0"
